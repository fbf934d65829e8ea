//! `#[steward::actions]` on an impl block.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericArgument, ImplItem, ItemImpl, Lit, LitStr,
    PathArguments, ReturnType, Type, TypePath, Visibility,
};

use crate::names::kebab;

/// Methods `ServiceRef` has already, which a generated method would not shadow:
/// its own, and those of the traits it implements (the prelude's among them:
/// `Into::into` and `TryInto::try_into` take `self` and so are found first, and
/// `ToOwned`'s would make every call ambiguous).
const RESERVED: &[&str] = &[
    "act",
    "act_json",
    "on",
    "on_named",
    "events",
    "subscribe",
    "status",
    "health",
    "info",
    "history",
    "trigger",
    "check_queue",
    "process_batch",
    "command",
    "clone",
    "fmt",
    "into",
    "try_into",
    "to_owned",
    "clone_into",
];

/// One `#[action]` method.
struct Action {
    method: syn::Ident,
    name: String,
    description: String,
    docs: Vec<Attribute>,
    takes_context: bool,
    params: Option<Type>,
    result: Type,
}

pub(crate) fn expand(attr: TokenStream, mut item: ItemImpl) -> syn::Result<TokenStream> {
    let vis: Visibility = if attr.is_empty() {
        syn::parse_quote!(pub(crate))
    } else {
        syn::parse2(attr)?
    };
    if let Some((path, _)) = &item.trait_ {
        return Err(syn::Error::new_spanned(
            path,
            "`#[steward::actions]` goes on the type's own impl block, not a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "`#[steward::actions]` cannot be used on a generic impl",
        ));
    }
    let Type::Path(TypePath { path, .. }) = &*item.self_ty else {
        return Err(syn::Error::new_spanned(
            &item.self_ty,
            "expected a named type",
        ));
    };
    let type_name = path
        .segments
        .last()
        .map(|segment| segment.ident.clone())
        .ok_or_else(|| syn::Error::new_spanned(path, "expected a named type"))?;
    let self_ty = item.self_ty.clone();

    let mut actions = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(function) = impl_item else {
            continue;
        };
        let Some(position) = function
            .attrs
            .iter()
            .position(|a| a.path().is_ident("action"))
        else {
            continue;
        };
        let marker = function.attrs.remove(position);
        let action = action(&marker, function)?;
        if let Some(earlier) = actions
            .iter()
            .find(|earlier: &&Action| earlier.name == action.name)
        {
            return Err(syn::Error::new_spanned(
                &action.method,
                format!(
                    "two actions are named `{}` (the other is `{}`)",
                    action.name, earlier.method
                ),
            ));
        }
        if RESERVED.contains(&action.method.to_string().as_str()) {
            return Err(syn::Error::new_spanned(
                &action.method,
                format!(
                    "`{}` is already a method of `ServiceRef`, so the generated client method \
                     would never be called: rename the method (the action's name can stay, \
                     with `#[action(name = \"{}\")]`)",
                    action.method, action.name
                ),
            ));
        }
        actions.push(action);
    }
    if actions.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "no `#[action]` methods: mark each action method with `#[action]`",
        ));
    }

    let entries = actions.iter().map(|action| {
        let Action {
            method,
            name,
            description,
            takes_context,
            params,
            result,
            ..
        } = action;
        let params_ty = params.clone().unwrap_or_else(|| syn::parse_quote!(()));
        let mut args = Vec::new();
        if *takes_context {
            args.push(quote!(cx));
        }
        if params.is_some() {
            args.push(quote!(params));
        }
        let schemas = quote! {
            .with_schemas(
                #name,
                (&&::steward::__private::SchemaOf::<#params_ty>::new()).schema(),
                (&&::steward::__private::SchemaOf::<#result>::new()).schema(),
            )
        };
        quote! {
            .action(#name, #description, |service: &Self, cx, params: #params_ty| {
                let _ = (&cx, &params);
                ::std::boxed::Box::pin(async move {
                    let result: ::core::result::Result<#result, ::steward::BoxError> =
                        service.#method(#(#args),*).await.map_err(::core::convert::Into::into);
                    result
                })
            })
            #schemas
        }
    });

    let client = format_ident!("{}Actions", type_name);
    let client_doc = format!("Typed calls to the actions of [`{type_name}`], on its `ServiceRef`.");
    let signatures: Vec<TokenStream> = actions
        .iter()
        .map(|action| {
            let Action {
                method,
                params,
                result,
                docs,
                ..
            } = action;
            let param = params.as_ref().map(|ty| quote!(, params: #ty));
            quote! {
                #(#docs)*
                fn #method(&self #param) -> ::steward::TypedRequest<#result>
            }
        })
        .collect();
    let bodies = actions.iter().zip(&signatures).map(|(action, signature)| {
        let name = &action.name;
        let params = if action.params.is_some() {
            quote!(params)
        } else {
            quote!(())
        };
        quote! {
            #signature {
                ::steward::TypedRequest::new(self.act(#name, #params))
            }
        }
    });

    Ok(quote! {
        #item

        impl ::steward::Actions for #self_ty {
            fn actions() -> ::steward::ActionTable<Self> {
                #[allow(unused_imports)]
                use ::steward::__private::{HasSchema as _, NoSchema as _};
                ::steward::ActionTable::new() #(#entries)*
            }
        }

        #[doc = #client_doc]
        #vis trait #client {
            #(#signatures;)*
        }

        impl #client for ::steward::ServiceRef<#self_ty> {
            #(#bodies)*
        }
    })
}

fn action(marker: &Attribute, function: &syn::ImplItemFn) -> syn::Result<Action> {
    let sig = &function.sig;
    let mut name = kebab(&sig.ident.to_string());
    if !matches!(marker.meta, syn::Meta::Path(_)) {
        marker.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = meta.value()?.parse::<LitStr>()?.value();
                Ok(())
            } else {
                Err(meta.error("unknown `action` option; expected `name = \"…\"`"))
            }
        })?;
    }
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            "an action is an `async fn`",
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(receiver))
            if matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, None)) => {}
        _ => {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "an action takes `&self` first (services are shared, not borrowed mutably)",
            ));
        }
    }
    let rest: Vec<&Type> = inputs
        .map(|input| match input {
            FnArg::Typed(typed) => Ok(&*typed.ty),
            FnArg::Receiver(receiver) => {
                Err(syn::Error::new_spanned(receiver, "unexpected receiver"))
            }
        })
        .collect::<syn::Result<_>>()?;
    let (takes_context, params) = match rest.as_slice() {
        [] => (false, None),
        [only] if is_context(only) => (true, None),
        [only] => (false, Some((*only).clone())),
        [cx, params] if is_context(cx) => (true, Some((*params).clone())),
        _ => {
            return Err(syn::Error::new_spanned(
                &sig.inputs,
                "an action takes `&self`, optionally `cx: &Context`, and at most one parameter \
                 value: put several in a struct",
            ));
        }
    };
    let docs: Vec<Attribute> = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect();
    Ok(Action {
        method: sig.ident.clone(),
        name,
        description: description(&docs),
        docs,
        takes_context,
        params,
        result: result_type(&sig.output)?,
    })
}

/// `&Context` or `&steward::Context`.
fn is_context(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else {
        return false;
    };
    let Type::Path(TypePath { path, .. }) = &*reference.elem else {
        return false;
    };
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == "Context")
}

/// `T` out of `Result<T, E>`, `Result<T>` or plain `Result` (`()`).
fn result_type(output: &ReturnType) -> syn::Result<Type> {
    let wrong = |span: &dyn quote::ToTokens| {
        syn::Error::new_spanned(
            span,
            "an action returns `Result<T, E>` (or `steward::Result<T>`)",
        )
    };
    let ReturnType::Type(_, ty) = output else {
        return Err(syn::Error::new(
            Span::call_site(),
            "an action returns `Result<T, E>`",
        ));
    };
    let Type::Path(TypePath { path, .. }) = &**ty else {
        return Err(wrong(ty));
    };
    let Some(last) = path
        .segments
        .last()
        .filter(|segment| segment.ident == "Result")
    else {
        return Err(wrong(ty));
    };
    match &last.arguments {
        PathArguments::None => Ok(syn::parse_quote!(())),
        PathArguments::AngleBracketed(arguments) => match arguments.args.first() {
            Some(GenericArgument::Type(ty)) => Ok(ty.clone()),
            _ => Err(wrong(ty)),
        },
        PathArguments::Parenthesized(_) => Err(wrong(ty)),
    }
}

/// The doc comment's first paragraph, on one line.
fn description(docs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in docs {
        if let syn::Meta::NameValue(value) = &attr.meta
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) = &value.value
        {
            lines.push(text.value().trim().to_owned());
        }
    }
    lines
        .split(String::is_empty)
        .find(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "))
        .unwrap_or_default()
}

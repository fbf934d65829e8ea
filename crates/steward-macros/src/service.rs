//! `#[derive(Service)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Expr, ExprLit, Fields, Lit, LitInt, LitStr, Type};

use crate::names::kebab;

/// The `#[service(…)]` options.
#[derive(Default)]
struct Options {
    name: Option<String>,
    critical: bool,
    depends_on: Vec<String>,
    order: Option<LitInt>,
    max_concurrency: Option<LitInt>,
    mailbox: Option<LitInt>,
    emits: Vec<syn::Path>,
}

const KNOWN: &str = "expected `name`, `critical`, `depends_on`, `order`, `emits`, \
                     `max_concurrency` or `mailbox`";

fn options(input: &DeriveInput) -> syn::Result<Options> {
    let mut options = Options::default();
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("service"))
    {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "name" => options.name = Some(meta.value()?.parse::<LitStr>()?.value()),
                "critical" => options.critical = true,
                "depends_on" => {
                    let list: syn::ExprArray = meta.value()?.parse()?;
                    for element in list.elems {
                        match element {
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(name),
                                ..
                            }) => {
                                options.depends_on.push(name.value());
                            }
                            other => {
                                return Err(syn::Error::new_spanned(
                                    other,
                                    "`depends_on` lists service names as strings",
                                ));
                            }
                        }
                    }
                }
                "order" => options.order = Some(meta.value()?.parse()?),
                "max_concurrency" => options.max_concurrency = Some(meta.value()?.parse()?),
                "mailbox" => options.mailbox = Some(meta.value()?.parse()?),
                "emits" => {
                    let list: syn::ExprArray = meta.value()?.parse()?;
                    for element in list.elems {
                        match element {
                            Expr::Path(path) => options.emits.push(path.path),
                            other => {
                                return Err(syn::Error::new_spanned(
                                    other,
                                    "`emits` lists event types: `emits = [FileCreated]`",
                                ));
                            }
                        }
                    }
                }
                _ => return Err(meta.error(format!("unknown `service` option; {KNOWN}"))),
            }
            Ok(())
        })?;
    }
    Ok(options)
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "`Service` cannot be derived for a generic type: a service has one name; \
             register each instance with `steward::continuous` (or `periodic`) instead",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Service` can be derived for structs only",
        ));
    };
    let options = options(input)?;
    let ident = &input.ident;
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| kebab(&ident.to_string()));

    let (construct, settings) = construct(&data.fields)?;
    let pick = quote!(::steward::__private::Pick::<Self>::new());
    let built = match settings {
        Some(ty) => quote! {
            (&&&&pick).def_with(Self::NAME, |settings: #ty| #construct)
        },
        None => quote! { (&&&&pick).def(Self::NAME, #construct) },
    };
    let critical = options.critical.then(|| quote!(.critical()));
    let depends_on = (!options.depends_on.is_empty()).then(|| {
        let names = &options.depends_on;
        quote!(.depends_on([#(#names),*]))
    });
    let order = options.order.as_ref().map(|order| quote!(.order(#order)));
    let max_concurrency = (options.max_concurrency.as_ref()).map(|n| quote!(.max_concurrency(#n)));
    let mailbox = options.mailbox.as_ref().map(|n| quote!(.mailbox(#n)));
    let emits = options.emits.iter().map(|event| quote!(.emits::<#event>()));

    Ok(quote! {
        impl ::steward::Service for #ident {
            const NAME: &'static str = #name;

            fn definition() -> ::steward::ServiceDef {
                #[allow(unused_imports)]
                use ::steward::__private::{
                    PickContinuous as _, PickPeriodic as _, PickStartup as _,
                    WithActions as _, WithoutActions as _,
                };
                let pick = #pick;
                let def = #built;
                (&&pick).add_actions(def)
                    #critical #depends_on #order #max_concurrency #mailbox #(#emits)*
            }
        }

        ::steward::__private::inventory::submit! {
            ::steward::Registration::new(#name, <#ident as ::steward::Service>::definition)
        }
    })
}

/// How to build the struct: its `settings` field from configuration (if it has
/// one), every other field from `Default`.
fn construct(fields: &Fields) -> syn::Result<(TokenStream, Option<Type>)> {
    let default = quote!(::core::default::Default::default());
    match fields {
        Fields::Unit => Ok((quote!(Self), None)),
        Fields::Unnamed(fields) => {
            let values = fields.unnamed.iter().map(|_| &default);
            Ok((quote!(Self(#(#values),*)), None))
        }
        Fields::Named(fields) => {
            let mut settings = None;
            let mut values = Vec::new();
            for field in &fields.named {
                let Some(name) = &field.ident else { continue };
                let marked = field
                    .attrs
                    .iter()
                    .any(|attr| attr.path().is_ident("settings"));
                if marked || (name == "settings" && settings.is_none()) {
                    if settings.is_some() {
                        return Err(syn::Error::new_spanned(
                            field,
                            "only one field can hold the settings",
                        ));
                    }
                    settings = Some(field.ty.clone());
                    values.push(quote!(#name: settings));
                } else {
                    values.push(quote!(#name: #default));
                }
            }
            Ok((quote!(Self { #(#values),* }), settings))
        }
    }
}

//! `#[derive(Event)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, LitStr};

use crate::names::dotted;

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "an event needs one stable name, so it cannot be generic",
        ));
    }
    let mut name = None;
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("event"))
    {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let value: LitStr = meta.value()?.parse()?;
                name = Some(value.value());
                Ok(())
            } else {
                Err(meta.error("unknown `event` option; expected `name = \"…\"`"))
            }
        })?;
    }
    let ident = &input.ident;
    let name = name.unwrap_or_else(|| dotted(&ident.to_string()));
    Ok(quote! {
        impl ::steward::Event for #ident {
            const NAME: &'static str = #name;

            fn schema() -> ::core::option::Option<::steward::__private::Value> {
                #[allow(unused_imports)]
                use ::steward::__private::{HasSchema as _, NoSchema as _};
                (&&::steward::__private::SchemaOf::<Self>::new()).schema()
            }
        }
    })
}

//! Macros for Steward; use them through the `steward` crate, which re-exports them
//! and documents them: `#[derive(Service)]`, `#[steward::actions]`,
//! `#[derive(Event)]`.

mod actions;
mod event;
mod names;
mod service;

use proc_macro::TokenStream;

/// Makes a struct a discoverable [`Service`]: see `steward::Service`.
///
/// `#[service(name = "…", critical, depends_on = ["a", "b"], order = 1,
/// emits = [FileCreated], max_concurrency = 4, mailbox = 256)]`, every key optional; the name defaults to
/// the type's name in kebab case. A field named `settings` (or marked
/// `#[settings]`) is bound from the service's configuration table; other fields
/// start from `Default`.
#[proc_macro_derive(Service, attributes(service, settings))]
pub fn derive_service(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    service::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `steward::Event`: `#[event(name = "file.created")]`; the name
/// defaults to the type's name in dotted lower case (`FileCreated` → `file.created`).
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    event::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns the `#[action]` methods of an impl block into the type's actions, and
/// generates a typed client trait `<Type>Actions` for `ServiceRef<Type>`.
#[proc_macro_attribute]
pub fn actions(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemImpl);
    actions::expand(attr.into(), item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

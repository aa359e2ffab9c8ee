//! `#[derive(Responses)]`: an enum whose variants are a handler's answers, one status each.
//! `parse` checks the enum and gives one [`Answer`] per variant (all errors at once); `expand`
//! emits `waymark::openapi::Responses` and `IntoResponse`; on errors, `stub` emits both with
//! empty bodies, so that the user sees those errors and no follow-on ones where the type is used.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, Ident, Lit, LitInt, Type};

/// The statuses `#[response(status = N)]` takes: RFC 9110 §15 defines the classes 1xx to 5xx.
const STATUSES: std::ops::RangeInclusive<u16> = 100..=599;

/// One variant, checked: its status, its description, and the value it holds, if any.
struct Answer<'a> {
    variant: &'a Ident,
    status: u16,
    /// The doc comment's first paragraph; `None` without one (the status's reason is used).
    description: Option<String>,
    field: Option<&'a Type>,
}

/// The derive: the two impls, or the errors and a stub.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    match parse(input) {
        Ok(answers) => expand(input, &answers),
        Err(errors) => {
            let errors = errors.iter().map(syn::Error::to_compile_error);
            let stub = stub(input);
            quote! { #(#errors)* #stub }
        }
    }
}

fn parse(input: &DeriveInput) -> Result<Vec<Answer<'_>>, Vec<syn::Error>> {
    let name = &input.ident;
    let data = match &input.data {
        Data::Enum(data) => data,
        Data::Struct(data) => return Err(vec![not_an_enum(data.struct_token.span, name, "a struct")]),
        Data::Union(data) => return Err(vec![not_an_enum(data.union_token.span, name, "a union")]),
    };
    let mut answers = Vec::new();
    let mut errors = Vec::new();
    for variant in &data.variants {
        let ident = &variant.ident;
        let field = match &variant.fields {
            Fields::Unit => Ok(None),
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Ok(Some(&fields.unnamed[0].ty)),
            Fields::Unnamed(fields) => Err(syn::Error::new_spanned(
                &fields.unnamed[1],
                format!(
                    "variant `{ident}` holds {} fields; a variant holds at most one answer, e.g. `{ident}(Json<Problem>)`",
                    fields.unnamed.len()
                ),
            )),
            Fields::Named(fields) => Err(syn::Error::new_spanned(
                fields,
                format!(
                    "variant `{ident}` has named fields; a variant is a unit or holds one answer, e.g. `{ident}(Json<Problem>)`"
                ),
            )),
        };
        let status = status(&variant.attrs, ident);
        match (field, status) {
            (Ok(field), Ok(status)) => {
                answers.push(Answer { variant: ident, status, description: description(&variant.attrs), field });
            }
            (field, status) => errors.extend(field.err().into_iter().chain(status.err())),
        }
    }
    if errors.is_empty() { Ok(answers) } else { Err(errors) }
}

fn not_an_enum(span: Span, name: &Ident, what: &str) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "`#[derive(Responses)]` is for enums, and `{name}` is {what}; make it an enum with one variant per answer, each with `#[response(status = N)]`"
        ),
    )
}

/// The status of `#[response(status = N)]` among a variant's attributes.
fn status(attrs: &[Attribute], variant: &Ident) -> syn::Result<u16> {
    let mut found: Option<u16> = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("response")) {
        let mut here = None;
        attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("status") {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    "unknown key in `#[response(..)]`; the only key is `status`, e.g. `#[response(status = 404)]`",
                ));
            }
            let lit: LitInt = meta.value()?.parse().map_err(|e| {
                syn::Error::new(e.span(), "expected a status number after `status =`, e.g. `#[response(status = 404)]`")
            })?;
            here = Some(checked_status(&lit)?);
            Ok(())
        })?;
        let Some(code) = here else {
            return Err(syn::Error::new_spanned(
                attr,
                "`#[response]` without a status; write `#[response(status = 404)]`",
            ));
        };
        if found.is_some() {
            return Err(syn::Error::new_spanned(
                attr,
                format!(
                    "variant `{variant}` has a second `#[response]`; a variant has one status, so keep one attribute"
                ),
            ));
        }
        found = Some(code);
    }
    found.ok_or_else(|| {
        syn::Error::new(
            variant.span(),
            format!("variant `{variant}` has no status; add `#[response(status = N)]` above it, e.g. `#[response(status = 404)]`"),
        )
    })
}

fn checked_status(lit: &LitInt) -> syn::Result<u16> {
    match lit.base10_parse::<u16>() {
        Ok(code) if STATUSES.contains(&code) => Ok(code),
        _ => Err(syn::Error::new(
            lit.span(),
            format!("`{lit}` is not an HTTP status; use a status from 100 to 599, e.g. `404`"),
        )),
    }
}

/// The first paragraph of the doc comment, its lines joined.
fn description(attrs: &[Attribute]) -> Option<String> {
    let lines = attrs.iter().filter(|a| a.path().is_ident("doc")).filter_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    });
    let words: Vec<String> = lines
        .flat_map(|doc| doc.split('\n').map(|line| line.trim().to_owned()).collect::<Vec<_>>())
        .skip_while(String::is_empty)
        .take_while(|line| !line.is_empty())
        .collect();
    if words.is_empty() { None } else { Some(words.join(" ")) }
}

fn expand(input: &DeriveInput, answers: &[Answer<'_>]) -> TokenStream {
    let name = &input.ident;
    let w = quote!(::waymark::__private);
    let generic = input.generics.type_params().next().is_some();
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    // A generic enum needs its fields' bounds; a plain one is checked at each field instead.
    let with_bounds = |bound: TokenStream| {
        let mut generics = input.generics.clone();
        if generic {
            let clause = generics.make_where_clause();
            for ty in answers.iter().filter_map(|a| a.field) {
                clause.predicates.push(syn::parse_quote_spanned!(ty.span()=> #ty: #bound));
            }
        }
        generics.where_clause
    };
    let responses_where = with_bounds(quote!(#w::Responses));
    let into_where = with_bounds(quote!(#w::IntoResponse));

    let documented = answers.iter().map(|a| {
        let code = a.status;
        let description = match &a.description {
            Some(text) => quote!(#text),
            None => quote!(#w::reason(__status)),
        };
        let add = match a.field {
            None => quote!(__out.add(__status, #description, ::core::option::Option::None)),
            Some(ty) => quote_spanned!(ty.span()=> __out.add_as::<#ty>(__status, #description, __schemas)),
        };
        quote! {{
            let __status = #w::status(#code);
            #add;
        }}
    });
    let arms = answers.iter().map(|a| {
        let (variant, code) = (a.variant, a.status);
        match a.field {
            None => quote!(Self::#variant => #w::Response::status_only(#w::status(#code)),),
            Some(ty) => {
                let into = quote_spanned!(ty.span()=> #w::IntoResponse::into_response(__value));
                quote!(Self::#variant(__value) => #into.with_status(#w::status(#code)),)
            }
        }
    });
    quote! {
        impl #impl_generics #w::Responses for #name #ty_generics #responses_where {
            fn responses(__out: &mut #w::Answers, __schemas: &mut #w::Schemas) {
                let _ = &__schemas;
                #(#documented)*
            }
        }

        impl #impl_generics #w::IntoResponse for #name #ty_generics #into_where {
            fn into_response(self) -> #w::Response {
                match self {
                    #(#arms)*
                }
            }
        }
    }
}

/// Both impls with bodies that need nothing of the variants.
fn stub(input: &DeriveInput) -> TokenStream {
    let name = &input.ident;
    let w = quote!(::waymark::__private);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics #w::Responses for #name #ty_generics #where_clause {
            fn responses(_: &mut #w::Answers, _: &mut #w::Schemas) {}
        }

        impl #impl_generics #w::IntoResponse for #name #ty_generics #where_clause {
            fn into_response(self) -> #w::Response {
                #w::Response::status_only(#w::status(500))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(input: &DeriveInput) -> Vec<(String, u16, Option<String>, bool)> {
        let answers = parse(input).unwrap_or_else(|e| panic!("{}", e[0]));
        answers.iter().map(|a| (a.variant.to_string(), a.status, a.description.clone(), a.field.is_some())).collect()
    }

    fn errors(input: &DeriveInput) -> Vec<String> {
        match parse(input) {
            Ok(_) => panic!("accepted"),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn each_variant_gives_its_status_description_and_field() {
        let input: DeriveInput = syn::parse_quote! {
            enum NoteError {
                /// No note has that id.
                #[response(status = 404)]
                Missing,
                /// A note with that URL
                /// exists.
                ///
                /// Not in the description.
                #[response(status = 409)]
                Duplicate(Json<Problem>),
                #[response(status = 409)]
                AlsoConflict,
                #[doc = ""]
                #[doc = "  After a blank line.  "]
                #[response(status = 599)]
                Edge(String),
            }
        };
        let want = [
            ("Missing", 404, Some("No note has that id."), false),
            ("Duplicate", 409, Some("A note with that URL exists."), true),
            ("AlsoConflict", 409, None, false),
            ("Edge", 599, Some("After a blank line."), true),
        ];
        let got = answers(&input);
        assert_eq!(got.len(), want.len());
        for (got, want) in got.iter().zip(want) {
            assert_eq!((got.0.as_str(), got.1, got.2.as_deref(), got.3), want);
        }
    }

    #[test]
    fn every_mistake_is_reported_together() {
        let input: DeriveInput = syn::parse_quote! {
            enum E {
                NoStatus,
                #[response(status = 99)]
                TooLow,
                #[response(status = 600)]
                TooHigh,
                #[response(status = 70000)]
                NotAU16,
                #[response(status = 400)]
                Named { problem: String },
                #[response(status = 400)]
                Two(String, String),
                #[response(code = 400)]
                UnknownKey,
                #[response(status = "400")]
                NotANumber,
                #[response(status = 400)]
                #[response(status = 401)]
                Twice,
            }
        };
        let got = errors(&input);
        let want = [
            "variant `NoStatus` has no status; add `#[response(status = N)]` above it, e.g. `#[response(status = 404)]`",
            "`99` is not an HTTP status; use a status from 100 to 599, e.g. `404`",
            "`600` is not an HTTP status; use a status from 100 to 599, e.g. `404`",
            "`70000` is not an HTTP status; use a status from 100 to 599, e.g. `404`",
            "variant `Named` has named fields; a variant is a unit or holds one answer, e.g. `Named(Json<Problem>)`",
            "variant `Two` holds 2 fields; a variant holds at most one answer, e.g. `Two(Json<Problem>)`",
            "unknown key in `#[response(..)]`; the only key is `status`, e.g. `#[response(status = 404)]`",
            "expected a status number after `status =`, e.g. `#[response(status = 404)]`",
            "variant `Twice` has a second `#[response]`; a variant has one status, so keep one attribute",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn only_enums() {
        let cases: [(DeriveInput, &str); 2] = [
            (
                syn::parse_quote!(
                    struct S;
                ),
                "`S` is a struct",
            ),
            (syn::parse_quote!(union U { a: u8 }), "`U` is a union"),
        ];
        for (input, want) in cases {
            let got = errors(&input);
            assert!(got.len() == 1 && got[0].contains(want), "{got:?}");
        }
    }

    #[test]
    fn an_enum_without_variants_answers_nothing() {
        assert!(
            answers(&syn::parse_quote!(
                enum Never {}
            ))
            .is_empty()
        );
    }
}

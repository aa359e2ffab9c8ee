//! Security schemes in the contract: a guard whose binding's type implements [`Security`] makes
//! every route it covers list the scheme under `security`, and the document declare it under
//! `components.securitySchemes`.

use serde_json::Value;

/// A guard binding's type that proves the client authenticated with a scheme, for the OpenAPI
/// document. [`auth::Bearer`](crate::auth::Bearer) is one.
///
/// ```
/// use waymark::openapi::Security;
/// use waymark::{Request, StatusCode, routes};
///
/// struct ApiKey;
///
/// impl Security for ApiKey {
///     const NAME: &'static str = "apiKey";
///     fn scheme() -> serde_json::Value {
///         serde_json::json!({ "type": "apiKey", "in": "header", "name": "x-api-key" })
///     }
/// }
///
/// async fn api_key(req: &Request) -> Result<ApiKey, StatusCode> {
///     req.header("x-api-key").map(|_| ApiKey).ok_or(StatusCode::UNAUTHORIZED)
/// }
///
/// routes! {
///     Api;
///     GET "/open" => async { "open" },
///     scope {
///         guard _key: ApiKey = api_key(req);
///         GET "/closed" => async { "closed" },
///     }
/// }
///
/// let doc = Api::openapi();
/// assert_eq!(doc["components"]["securitySchemes"]["apiKey"]["in"], "header");
/// assert_eq!(doc["paths"]["/closed"]["get"]["security"][0]["apiKey"], serde_json::json!([]));
/// assert!(doc["paths"]["/open"]["get"].get("security").is_none());
/// ```
pub trait Security {
    /// The scheme's name in `components.securitySchemes`.
    const NAME: &'static str;

    /// The OpenAPI Security Scheme Object, e.g. `{"type": "http", "scheme": "bearer"}`.
    fn scheme() -> Value;
}

//! Cookies in a `routes!` table: read in handlers and guards, set and removed on responses, signed
//! and private with a key from the state; in-process, and over a socket with curl's cookie jar.
#![cfg(feature = "cookies")]

use std::process::Command;
use std::time::Duration;

use waymark::cookie::{Cookie, Key, encrypt, sign};
use waymark::test::TestClient;
use waymark::{Request, Response, StatusCode, routes};

struct Keys {
    key: Key,
}

/// The signed `user` cookie, or `401`: a forged one is no better than none.
async fn user(keys: &Keys, req: &Request) -> Result<String, StatusCode> {
    req.signed_cookie(&keys.key, "user").map(|c| c.value().to_owned()).ok_or(StatusCode::UNAUTHORIZED)
}

routes! {
    App(keys: Keys);
    GET "/theme" => async move { format!("{:?}", req.cookie("theme").map(|c| c.value().to_owned())) },
    GET "/all" => async move { req.cookies().map(|c| format!("{}={}", c.name(), c.value())).collect::<Vec<_>>().join(",") },
    POST "/login/{name}" => async move {
        Response::text("ok")
            .with_cookie(sign(&keys.key, Cookie::build(("user", name)).path("/").http_only(true)))
            .with_cookie(encrypt(&keys.key, Cookie::build(("cart", "3 apples")).path("/")))
            .with_cookie(Cookie::build(("theme", "dark mode")).path("/"))
    },
    POST "/logout" => async {
        Response::text("bye")
            .with_removed_cookie(Cookie::build("user").path("/").http_only(true))
            .with_removed_cookie(Cookie::build("cart").path("/"))
    },
    scope "/me" {
        guard user: String = user(keys, req);
        GET "" => async move {
            let cart = req.private_cookie(&keys.key, "cart").map(|c| c.value().to_owned());
            format!("{user} {}", cart.as_deref().unwrap_or("empty"))
        },
    }
}

fn app() -> App {
    App::new(Keys { key: Key::from(&[7; 64][..]) })
}

/// The `name=value` pairs of every `Set-Cookie`, as a browser sends them back.
fn cookie_header(res: &waymark::test::TestResponse) -> String {
    res.header_all("set-cookie").filter_map(|c| c.split(';').next()).collect::<Vec<_>>().join("; ")
}

#[tokio::test]
async fn login_sets_three_cookies_and_the_guard_reads_them_back() {
    let client = TestClient::new(app());
    let res = client.post("/login/ann").send().await;
    let set: Vec<_> = res.header_all("set-cookie").collect();
    assert_eq!(set.len(), 3, "{set:?}");
    assert!(set[0].starts_with("user=") && set[0].ends_with("ann; HttpOnly; Path=/"), "signed: readable: {}", set[0]);
    assert!(!set[1].contains("apples"), "private: sealed: {}", set[1]);
    assert_eq!(set[2], "theme=dark%20mode; Path=/");

    let cookies = cookie_header(&res);
    client.get("/me").header("cookie", &cookies).send().await.assert_status(StatusCode::OK).assert_text("ann 3 apples");
    client.get("/theme").header("cookie", &cookies).send().await.assert_text(r#"Some("dark mode")"#);
    client.get("/me").send().await.assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn garbage_in_the_cookie_header_is_skipped_pair_by_pair() {
    let client = TestClient::new(app());
    let cookies = cookie_header(&client.post("/login/ann").send().await);
    let noisy = format!("=x; \u{1}junk; ;; {cookies}; theme=%ZZ; ==; last=1");
    client.get("/me").header("cookie", &noisy).send().await.assert_text("ann 3 apples");
    // Non-UTF-8 bytes in one pair do not hide the others.
    let mut bytes = b"bad=\xff\xfe; ".to_vec();
    bytes.extend_from_slice(cookies.as_bytes());
    client.get("/me").header("cookie", &bytes).send().await.assert_text("ann 3 apples");
    let res = client.get("/all").header("cookie", "a=1; junk; =2; b=%FF; c=3").send().await;
    res.assert_text("a=1,c=3");
}

#[tokio::test]
async fn forged_cookies_read_as_absent() {
    let client = TestClient::new(app());
    let cookies = cookie_header(&client.post("/login/ann").send().await);
    let (user, cart) = {
        let mut pairs = cookies.split("; ");
        (pairs.next().unwrap().to_owned(), pairs.next().unwrap().to_owned())
    };
    // The signed value with its user changed, and in the clear.
    let root = user.replace("ann", "root");
    client.get("/me").header("cookie", &root).send().await.assert_status(StatusCode::UNAUTHORIZED);
    client.get("/me").header("cookie", "user=ann").send().await.assert_status(StatusCode::UNAUTHORIZED);
    // A key that is not the server's.
    let other = sign(&Key::generate(), ("user", "ann")).encoded().to_string();
    client.get("/me").header("cookie", &other).send().await.assert_status(StatusCode::UNAUTHORIZED);
    // The private cart with one character of its sealed value changed: an empty cart.
    let (name, value) = cart.split_once('=').unwrap();
    let flipped: String = value
        .char_indices()
        .map(|(i, c)| if i == value.len() / 2 { if c == 'A' { 'B' } else { 'A' } } else { c })
        .collect();
    let forged = format!("{user}; {name}={flipped}");
    client.get("/me").header("cookie", &forged).send().await.assert_text("ann empty");
}

#[tokio::test]
async fn logout_removes_both() {
    let res = TestClient::new(app()).post("/logout").send().await;
    let set: Vec<_> = res.header_all("set-cookie").collect();
    assert_eq!(set.len(), 2);
    for (c, name) in set.iter().zip(["user", "cart"]) {
        assert!(c.starts_with(&format!("{name}=; ")) && c.contains("; Path=/; Max-Age=0; Expires="), "{c}");
    }
}

/// curl keeps the cookies in its own jar (its parser, not ours) and sends them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_cookie_jar_over_a_socket() {
    assert!(Command::new("curl").arg("--version").output().is_ok(), "curl is not installed: this test needs it");
    let server = waymark::Server::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_shutdown(app(), async {
        let _ = stopped.await;
    }));
    let jar = std::env::temp_dir().join(format!("waymark-cookies-{}.txt", std::process::id()));
    let client = tokio::task::spawn_blocking(move || {
        let curl = |args: &[&str]| {
            let out = Command::new("curl").args(["-sS", "--max-time", "5"]).args(args).output().unwrap();
            assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let jar = jar.to_str().unwrap();
        assert_eq!(curl(&["-c", jar, "-X", "POST", &format!("{base}/login/ann")]), "ok");
        assert_eq!(curl(&["-b", jar, &format!("{base}/me")]), "ann 3 apples");
        assert_eq!(curl(&["-b", jar, &format!("{base}/theme")]), r#"Some("dark mode")"#);
        let code = |args: &[&str]| curl(&[&["-o", "/dev/null", "-w", "%{http_code}"], args].concat());
        assert_eq!(code(&["-b", "user=ann", &format!("{base}/me")]), "401");
        // Logging out: curl's parser takes both removals (its own log says so). What curl 7.88 then
        // writes to its jar file is not checked: it keeps the first of two removed cookies there.
        let out = Command::new("curl")
            .args(["-sS", "-v", "--max-time", "5", "-b", jar, "-X", "POST", &format!("{base}/logout")])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        for name in ["user", "cart"] {
            assert!(log.contains(&format!("Replaced cookie {name}=\"\"")), "{log}");
            assert!(log.contains(&format!("< set-cookie: {name}=; ")), "{log}");
        }
        let _ = std::fs::remove_file(jar);
    });
    tokio::time::timeout(Duration::from_secs(30), client).await.expect("curl finished in time").expect("client");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("shutdown in time")
        .expect("task")
        .expect("server");
}

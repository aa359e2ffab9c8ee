//! Dispatching does not allocate: a counting global allocator (`stats_alloc`'s wrapper around the
//! system allocator, so that this crate keeps `forbid(unsafe_code)`) watches the generated router
//! answer requests in-process.
//!
//! This file holds a single test: the allocator counts for the whole process.

use std::alloc::System;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use waymark::{App, Method, Next, Request, Response, StatusCode, routes};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

async fn user(_id: u64) -> &'static str {
    "user"
}

async fn by_name(_name: &str, _n: u32) -> &'static str {
    "name"
}

async fn pass(_req: &Request, next: Next<'_>) -> Response {
    next.run().await
}

struct Admin;

async fn admin(req: &Request) -> Result<Admin, StatusCode> {
    if req.header("authorization").is_some() { Ok(Admin) } else { Err(StatusCode::UNAUTHORIZED) }
}

mod tools {
    waymark::routes! {
        pub(crate) Tools at "/tools";
        wrap super::pass;
        guard level: u8 = async { 3 };
        GET "/ping/{n: u32}" => async move { if level + 1 > 0 && n > 0 { "pong" } else { "zero" } },
    }
}

routes! {
    Api;
    wrap pass;
    GET "/" => async { "index" },
    GET "/users/{id: u64}" => user(id),
    GET "/users/{name}/posts/{n: u32}" => by_name(name, n),
    GET "/users/me" => async { "me" },
    GET "/files/{*path}" => async move { if path.is_empty() { "empty" } else { "file" } },
    GET "/page/{n: u32 in 1..=1000}?{size: u8 in 1..=50 = 10}" => async move { if n + u32::from(size) > 0 { "page" } else { "none" } },
    scope "/admin" {
        wrap pass;
        guard _admin: Admin = admin(req);
        GET "/stats/{day: u16}" => async { "stats" },
    }
    mount tools::Tools = tools::Tools::new();
}

/// Runs a handler future to completion; these handlers never wait, so one poll is enough.
fn answer(app: &Api, req: &Request) -> Response {
    let mut fut = pin!(app.handle(req));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(res) => res,
        Poll::Pending => panic!("handler did not finish in one poll"),
    }
}

/// Heap blocks obtained while answering `req` `times` times: allocations, and reallocations (each
/// one a new block). The counter is process-wide, so the test harness's own threads can add to a
/// run (seen once under load: 4 blocks in 100 requests); dispatch is deterministic, so the least
/// of three runs is what it allocates.
fn blocks_while(app: &Api, req: &Request, times: usize) -> usize {
    (0..3)
        .map(|_| {
            let region = Region::new(GLOBAL);
            for _ in 0..times {
                std::hint::black_box(answer(app, req));
            }
            let change = region.change();
            change.allocations + change.reallocations
        })
        .min()
        .unwrap_or(usize::MAX)
}

#[test]
fn dispatch_allocates_nothing_unless_a_parameter_needs_decoding() {
    let app = Api::new();
    let cases = [
        ("/", 200, 0),
        ("/users/42", 200, 0),
        ("/users/me", 200, 0),
        ("/users/bob/posts/7", 200, 0),
        ("/files/a/b/c.txt", 200, 0),
        // Ranged parameters, in range: a comparison each, nothing on the heap.
        ("/page/7", 200, 0),
        ("/page/1000?size=50", 200, 0),
        // A guard that passes, and one that answers.
        ("/admin/stats/12", 200, 0),
        ("/admin/stats/13", 401, 0),
        // A mounted table's route, its own middleware and guard.
        ("/tools/ping/7", 200, 0),
        ("/nope", 404, 0),
        // A segment that needs percent-decoding is decoded into an owned string; `percent-encoding`
        // collects into a `Vec` that grows once: two blocks.
        ("/users/b%20ob/posts/7", 200, 2),
    ];
    for (path, status, per_request) in cases {
        let req = Request::new(Method::GET, path);
        let req = if path == "/admin/stats/12" { req.with_header("authorization", "yes") } else { req };
        assert_eq!(answer(&app, &req).status().as_u16(), status, "{path}");
        assert_eq!(blocks_while(&app, &req, 100), 100 * per_request, "allocations for {path}");
    }
}

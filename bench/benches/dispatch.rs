//! Dispatch: waymark's generated matcher against matchit, path-tree, actix-router and wayfind on the
//! GitHub API tables. Every router looks up every path of a set and captures its parameters; one
//! criterion iteration is one pass over the whole set, so ns per lookup = time / set size.
//!
//! waymark: `App::handle(&app, &req)` polled once with `Waker::noop()` (the handlers never wait), on
//! requests built before the loop. The peers: the router's lookup on the path `&str`, then every
//! captured `(name, value)` handed to `black_box`. For the 203-route set the peers keep one router
//! per method, picked by an index computed before the loop (so they do not even pay for comparing
//! the method).

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use waymark::{App, Method, Request};

#[path = "github/table.rs"]
mod table;

const ROUTES_130: &str = include_str!("../../testdata/github_routes.txt");
const PATHS_130: &str = include_str!("../../testdata/github_paths.txt");
const ROUTES_203: &str = include_str!("../../testdata/github_routes_with_methods.txt");

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// One benchmark set: `(method index, pattern)` routes and `(method index, path)` lookups, where
/// lookup `i` must land on route `expect[i]`.
struct Set {
    name: &'static str,
    routes: Vec<(usize, String)>,
    lookups: Vec<(usize, String)>,
    expect: Vec<usize>,
}

fn set_130() -> Set {
    let routes: Vec<_> = lines(ROUTES_130).map(|p| (0, p.to_owned())).collect();
    let lookups: Vec<_> = lines(PATHS_130).map(|p| (0, p.to_owned())).collect();
    assert_eq!((routes.len(), lookups.len()), (130, 130));
    let expect = (0..130).collect();
    Set { name: "github130", routes, lookups, expect }
}

/// Instantiates a pattern: `{id}` and `{number}` become `42`, any other `{name}` becomes `name-v`.
fn instantiate(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some("id" | "number") => "42".to_owned(),
            Some(name) => format!("{name}-v"),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn set_203() -> Set {
    let routes: Vec<_> = lines(ROUTES_203)
        .map(|l| {
            let (m, p) = l.split_once(' ').unwrap();
            (METHODS.iter().position(|x| *x == m).unwrap(), p.to_owned())
        })
        .collect();
    assert_eq!(routes.len(), 203);
    let lookups = routes.iter().map(|(m, p)| (*m, instantiate(p))).collect();
    let expect = (0..203).collect();
    Set { name: "github203", routes, lookups, expect }
}

fn method(i: usize) -> Method {
    match i {
        0 => Method::GET,
        1 => Method::POST,
        2 => Method::PUT,
        3 => Method::DELETE,
        _ => unreachable!(),
    }
}

/// Polls the handler future once: these handlers never wait.
#[inline(always)]
fn answer<A: App>(app: &A, req: &Request) -> waymark::Response {
    let mut fut = pin!(app.handle(req));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(res) => res,
        Poll::Pending => panic!("handler did not finish in one poll"),
    }
}

fn bench_waymark<A: App>(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, id: &str, app: A, set: &Set) {
    let reqs: Vec<Request> = set.lookups.iter().map(|(m, p)| Request::new(method(*m), p)).collect();
    for req in &reqs {
        assert_eq!(answer(&app, req).status().as_u16(), 200, "{id} {}", req.path());
    }
    g.bench_function(BenchmarkId::new(id, set.name), |b| {
        b.iter(|| {
            for req in &reqs {
                black_box(answer(&app, black_box(req)));
            }
        })
    });
}

fn bench_set(c: &mut Criterion, set: &Set) {
    let mut g = c.benchmark_group(set.name);
    g.throughput(Throughput::Elements(set.lookups.len() as u64));
    let n_methods = METHODS.len();

    // waymark
    match set.name {
        "github130" => bench_waymark(&mut g, "waymark", table::Github130::new(), set),
        _ => {
            bench_waymark(&mut g, "waymark", table::Github203::new(), set);
            bench_waymark(&mut g, "waymark-typed", table::Github203Typed::new(), set);
        }
    }

    // matchit
    {
        let mut routers: Vec<matchit::Router<usize>> = (0..n_methods).map(|_| matchit::Router::new()).collect();
        for (i, (m, p)) in set.routes.iter().enumerate() {
            routers[*m].insert(p.as_str(), i).unwrap();
        }
        for (k, (m, p)) in set.lookups.iter().enumerate() {
            assert_eq!(*routers[*m].at(p).unwrap().value, set.expect[k], "matchit {p}");
        }
        g.bench_function(BenchmarkId::new("matchit", set.name), |b| {
            b.iter(|| {
                for (m, p) in &set.lookups {
                    let r = routers[*m].at(black_box(p)).unwrap();
                    black_box(r.value);
                    for kv in r.params.iter() {
                        black_box(kv);
                    }
                }
            })
        });
    }

    // path-tree (`:name` syntax)
    {
        let mut routers: Vec<path_tree::PathTree<usize>> = (0..n_methods).map(|_| path_tree::PathTree::new()).collect();
        for (i, (m, p)) in set.routes.iter().enumerate() {
            let p = p.replace('{', ":").replace('}', "");
            let _ = routers[*m].insert(&p, i);
        }
        for (k, (m, p)) in set.lookups.iter().enumerate() {
            assert_eq!(*routers[*m].find(p).unwrap().0, set.expect[k], "path-tree {p}");
        }
        g.bench_function(BenchmarkId::new("path-tree", set.name), |b| {
            b.iter(|| {
                for (m, p) in &set.lookups {
                    let (v, path) = routers[*m].find(black_box(p)).unwrap();
                    black_box(v);
                    for kv in path.params_iter() {
                        black_box(kv);
                    }
                }
            })
        });
    }

    // actix-router (tries its resources in insertion order)
    {
        let mut builders: Vec<_> = (0..n_methods).map(|_| actix_router::Router::<usize>::build()).collect();
        for (i, (m, p)) in set.routes.iter().enumerate() {
            builders[*m].path(p.as_str(), i);
        }
        let routers: Vec<_> = builders.into_iter().map(|b| b.finish()).collect();
        for (k, (m, p)) in set.lookups.iter().enumerate() {
            let mut path = actix_router::Path::new(p.as_str());
            assert_eq!(*routers[*m].recognize(&mut path).unwrap().0, set.expect[k], "actix-router {p}");
        }
        g.bench_function(BenchmarkId::new("actix-router", set.name), |b| {
            b.iter(|| {
                for (m, p) in &set.lookups {
                    let mut path = actix_router::Path::new(black_box(p.as_str()));
                    let (v, _) = routers[*m].recognize(&mut path).unwrap();
                    black_box(v);
                    for kv in path.iter() {
                        black_box(kv);
                    }
                }
            })
        });
    }

    // wayfind
    {
        let mut routers: Vec<wayfind::Router<usize>> = (0..n_methods).map(|_| wayfind::Router::new()).collect();
        for (i, (m, p)) in set.routes.iter().enumerate() {
            routers[*m].insert(p, i).unwrap();
        }
        for (k, (m, p)) in set.lookups.iter().enumerate() {
            assert_eq!(*routers[*m].search(p).unwrap().data, set.expect[k], "wayfind {p}");
        }
        g.bench_function(BenchmarkId::new("wayfind", set.name), |b| {
            b.iter(|| {
                for (m, p) in &set.lookups {
                    let r = routers[*m].search(black_box(p)).unwrap();
                    black_box(r.data);
                    for kv in r.parameters.iter() {
                        black_box(kv);
                    }
                }
            })
        });
    }
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    bench_set(c, &set_130());
    bench_set(c, &set_203());
}

criterion_group!(benches, dispatch);
criterion_main!(benches);

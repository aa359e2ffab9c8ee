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

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
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

/// One pass over a set: looks up every path once, hands every result to `black_box`.
type Pass = Box<dyn Fn()>;

/// waymark's whole request handling: `App::handle` on prebuilt requests, checked to answer 200.
fn waymark_pass<A: App>(app: A, set: &Set) -> Pass {
    let reqs: Vec<Request> = set.lookups.iter().map(|(m, p)| Request::new(method(*m), p)).collect();
    for req in &reqs {
        assert_eq!(answer(&app, req).status().as_u16(), 200, "{}", req.path());
    }
    Box::new(move || {
        for req in &reqs {
            black_box(answer(&app, black_box(req)));
        }
    })
}

/// The generated matcher alone (`Api::__lookup`: method, path segments, parameters decoded and
/// parsed into the route enum), which is what the peers' lookups do. `found` consumes the result
/// with `black_box`, so every parameter's decoding and parsing is kept.
fn lookup_pass(set: &Set, found: fn(&Method, &str) -> bool) -> Pass {
    let reqs: Vec<(Method, String)> = set.lookups.iter().map(|(m, p)| (method(*m), p.clone())).collect();
    for (m, p) in &reqs {
        assert!(found(m, p), "{m} {p}");
    }
    Box::new(move || {
        for (m, p) in &reqs {
            black_box(found(black_box(m), black_box(p)));
        }
    })
}

/// Every router of the comparison, each as a pass over `set`, answers checked first.
fn passes(set: &Set) -> Vec<(&'static str, Pass)> {
    let n_methods = METHODS.len();
    let mut out: Vec<(&'static str, Pass)> = Vec::new();
    match set.name {
        "github130" => {
            out.push(("waymark", waymark_pass(table::Github130::new(), set)));
            out.push((
                "waymark-lookup",
                lookup_pass(set, |m, p| {
                    let r = table::Github130::__lookup(m, p);
                    let found = r.is_some();
                    black_box(r);
                    found
                }),
            ));
        }
        _ => {
            out.push(("waymark", waymark_pass(table::Github203::new(), set)));
            out.push(("waymark-typed", waymark_pass(table::Github203Typed::new(), set)));
            out.push((
                "waymark-lookup",
                lookup_pass(set, |m, p| {
                    let r = table::Github203::__lookup(m, p);
                    let found = r.is_some();
                    black_box(r);
                    found
                }),
            ));
        }
    }

    let mut routers: Vec<matchit::Router<usize>> = (0..n_methods).map(|_| matchit::Router::new()).collect();
    for (i, (m, p)) in set.routes.iter().enumerate() {
        routers[*m].insert(p.as_str(), i).unwrap();
    }
    for (k, (m, p)) in set.lookups.iter().enumerate() {
        assert_eq!(*routers[*m].at(p).unwrap().value, set.expect[k], "matchit {p}");
    }
    let lookups = set.lookups.clone();
    out.push((
        "matchit",
        Box::new(move || {
            for (m, p) in &lookups {
                let r = routers[*m].at(black_box(p)).unwrap();
                black_box(r.value);
                for kv in r.params.iter() {
                    black_box(kv);
                }
            }
        }),
    ));

    // path-tree (`:name` syntax)
    let mut routers: Vec<path_tree::PathTree<usize>> = (0..n_methods).map(|_| path_tree::PathTree::new()).collect();
    for (i, (m, p)) in set.routes.iter().enumerate() {
        let p = p.replace('{', ":").replace('}', "");
        let _ = routers[*m].insert(&p, i);
    }
    for (k, (m, p)) in set.lookups.iter().enumerate() {
        assert_eq!(*routers[*m].find(p).unwrap().0, set.expect[k], "path-tree {p}");
    }
    let lookups = set.lookups.clone();
    out.push((
        "path-tree",
        Box::new(move || {
            for (m, p) in &lookups {
                let (v, path) = routers[*m].find(black_box(p)).unwrap();
                black_box(v);
                for kv in path.params_iter() {
                    black_box(kv);
                }
            }
        }),
    ));

    // actix-router (tries its resources in insertion order)
    let mut builders: Vec<_> = (0..n_methods).map(|_| actix_router::Router::<usize>::build()).collect();
    for (i, (m, p)) in set.routes.iter().enumerate() {
        builders[*m].path(p.as_str(), i);
    }
    let routers: Vec<_> = builders.into_iter().map(|b| b.finish()).collect();
    for (k, (m, p)) in set.lookups.iter().enumerate() {
        let mut path = actix_router::Path::new(p.as_str());
        assert_eq!(*routers[*m].recognize(&mut path).unwrap().0, set.expect[k], "actix-router {p}");
    }
    let lookups = set.lookups.clone();
    out.push((
        "actix-router",
        Box::new(move || {
            for (m, p) in &lookups {
                let mut path = actix_router::Path::new(black_box(p.as_str()));
                let (v, _) = routers[*m].recognize(&mut path).unwrap();
                black_box(v);
                for kv in path.iter() {
                    black_box(kv);
                }
            }
        }),
    ));

    // wayfind
    let mut routers: Vec<wayfind::Router<usize>> = (0..n_methods).map(|_| wayfind::Router::new()).collect();
    for (i, (m, p)) in set.routes.iter().enumerate() {
        routers[*m].insert(p, i).unwrap();
    }
    for (k, (m, p)) in set.lookups.iter().enumerate() {
        assert_eq!(*routers[*m].search(p).unwrap().data, set.expect[k], "wayfind {p}");
    }
    let lookups = set.lookups.clone();
    out.push((
        "wayfind",
        Box::new(move || {
            for (m, p) in &lookups {
                let r = routers[*m].search(black_box(p)).unwrap();
                black_box(r.data);
                for kv in r.parameters.iter() {
                    black_box(kv);
                }
            }
        }),
    ));
    out
}

fn bench_set(c: &mut Criterion, set: &Set) {
    let mut g = c.benchmark_group(set.name);
    g.throughput(Throughput::Elements(set.lookups.len() as u64));
    for (name, pass) in passes(set) {
        g.bench_function(BenchmarkId::new(name, set.name), |b| b.iter(&pass));
    }
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    bench_set(c, &set_130());
    bench_set(c, &set_203());
}

/// `DISPATCH_INTERLEAVED=ROUNDS`: instead of criterion (which measures each router in its own time
/// window, so a noisy neighbour can favour one), every round times each router once, in rotating
/// order, over the same number of passes; prints the median ns per lookup and the median of the
/// per-round ratios to matchit.
fn interleaved(rounds: usize) {
    const PASSES: usize = 400;
    for set in [set_130(), set_203()] {
        let passes = passes(&set);
        let n = set.lookups.len() as f64;
        let mut ns: Vec<Vec<f64>> = vec![Vec::new(); passes.len()];
        for round in 0..rounds {
            for k in 0..passes.len() {
                let i = (k + round) % passes.len();
                let start = std::time::Instant::now();
                for _ in 0..PASSES {
                    (passes[i].1)();
                }
                ns[i].push(start.elapsed().as_nanos() as f64 / (PASSES as f64 * n));
            }
        }
        let matchit = passes.iter().position(|(name, _)| *name == "matchit").unwrap();
        println!("\n### {}: {} lookups per pass, {rounds} rounds of {PASSES} passes, interleaved\n", set.name, n);
        println!("| router | ns/lookup (median) | x matchit (median of per-round ratios) |");
        println!("|---|---:|---:|");
        let mut rows: Vec<(f64, String)> = passes
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let ratios: Vec<f64> = ns[i].iter().zip(&ns[matchit]).map(|(a, b)| a / b).collect();
                let (med, ratio) = (median(&ns[i]), median(&ratios));
                (med, format!("| {name} | {med:.1} | {ratio:.2} |"))
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, row) in rows {
            println!("{row}");
        }
    }
}

/// `DISPATCH_ONLY=SET/ROUTER DISPATCH_PASSES=N`: runs one router's pass N times and nothing else,
/// for counting instructions with callgrind (run once with N=0 to subtract the setup).
fn only(which: &str, passes_n: usize) {
    let (set_name, router) = which.split_once('/').expect("SET/ROUTER");
    let set = if set_name == "github130" { set_130() } else { set_203() };
    let all = passes(&set);
    let (_, pass) = all.iter().find(|(name, _)| *name == router).expect("router name");
    for _ in 0..passes_n {
        pass();
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

criterion_group!(benches, dispatch);

fn main() {
    if let Ok(rounds) = std::env::var("DISPATCH_INTERLEAVED") {
        interleaved(rounds.parse().expect("DISPATCH_INTERLEAVED=ROUNDS"));
    } else if let Ok(which) = std::env::var("DISPATCH_ONLY") {
        let n = std::env::var("DISPATCH_PASSES").map_or(1000, |v| v.parse().expect("DISPATCH_PASSES=N"));
        only(&which, n);
    } else {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}

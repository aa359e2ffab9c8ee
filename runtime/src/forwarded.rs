//! The client's address behind reverse proxies, believed only from proxies the server trusts.
//!
//! A proxy passes the address it received a request from in `X-Forwarded-For` (a de facto
//! standard: nginx's `$proxy_add_x_forwarded_for`, haproxy's `option forwardfor`, cloud load
//! balancers) or in `Forwarded` (RFC 7239), *appending* it to what the client sent. So only the
//! right end of either header is known to be true, and only as far as the proxies that wrote it
//! are trusted: everything a client sends, including a whole `X-Forwarded-For: 1.2.3.4`, lands on
//! the left.
//!
//! # The rule
//!
//! [`Request::client_addr`](crate::Request::client_addr) (or [`client_addr`] with an explicit
//! list) answers:
//!
//! 1. **The socket peer, when it is not a trusted proxy**, whatever the headers say. With no
//!    [`ServerBuilder::trusted_proxies`](crate::ServerBuilder::trusted_proxies) (the default;
//!    loopback is not trusted either) this is always the answer: the same as
//!    [`peer_addr`](crate::Request::peer_addr).
//! 2. Otherwise the header is walked **from the right**, one hop per list element (several header
//!    lines are one list, in order, RFC 9110 §5.3). Hops that are trusted proxies are skipped;
//!    the first that is not decides:
//!    - an IP address: that is the client;
//!    - anything else (`unknown`, an obfuscated `_name`, an element with no `for=`, a value that is
//!      not an IP address, a syntax error that hides where the element ends): **`None`**. The proxy
//!      received the request from someone it could not or would not name, and no address to the
//!      left of that hop can be believed.
//! 3. When every hop is a trusted proxy, the request started inside the trusted network: the
//!    leftmost hop is the answer. When the trusted peer sent neither header, the request is the
//!    proxy's own (a health check): the peer is the answer.
//!
//! # Over a Unix domain socket
//!
//! A peer on a Unix socket ([`ServerBuilder::bind_unix`](crate::ServerBuilder::bind_unix), or one
//! inherited from systemd) has no IP address, and it **counts as a trusted proxy**: the socket
//! file's owner and mode decide who may connect, as the trusted list does for TCP, so keep the
//! mode tight (`0o660`, with the proxy's group). The headers are walked as in 2 and 3, past the
//! [trusted proxies](crate::ServerBuilder::trusted_proxies) in front of that one; when the peer
//! sent neither header, the answer is `None` (a local process that is not a proxy has no IP
//! address). This is the usual set-up of nginx in front over a Unix socket (`proxy_pass
//! http://unix:/run/app.sock;` with `proxy_set_header X-Forwarded-For
//! $proxy_add_x_forwarded_for;`), and what gunicorn does. The process behind the socket is
//! [`peer_credentials`](crate::Request::peer_credentials).
//!
//! Empty list elements (`a, , b`) are skipped, as RFC 9110 §5.6.1 asks. A port after the address
//! is allowed and ignored (`1.2.3.4:80`, `[2001:db8::1]:80` in `X-Forwarded-For`; `"[v6]:port"`
//! and `"v4:port"` in `Forwarded`). IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as a dual-stack
//! socket reports IPv4 peers) are compared and answered as IPv4.
//!
//! # When both headers are present
//!
//! Each is walked on its own. If they name the same client, that is the answer; if they disagree,
//! the answer is `None`. Neither may simply win: a proxy that sets one of them passes the other
//! through untouched from the client, so "`Forwarded` first" would let anyone behind an nginx that
//! sets `X-Forwarded-For` choose their address by sending `Forwarded: for=1.2.3.4`, and the
//! reverse holds for a proxy that sets `Forwarded`. A client that sends the other header thus
//! gets `None`, never an address of its choosing. To avoid even that, have the proxy remove the
//! header it does not set (nginx: `proxy_set_header Forwarded "";`).
//!
//! # Cost
//!
//! Nothing is parsed until `client_addr` is called; it then reads the header bytes in place,
//! without allocating. Each request holds the server's list (one reference count per connection,
//! or per HTTP/2 stream, and nothing when the list is empty), so the rule is the same over
//! HTTP/1.1, h2c and h2.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::Request;
use crate::types::grammar::{is_tchar, list};
pub use crate::types::net::{InvalidNet, IpNet};

/// The client's address by [the rule](self#the-rule), from the socket peer, the request's
/// headers as `(name, value)` pairs in the order received, and the trusted proxies.
///
/// ```
/// use std::net::IpAddr;
/// use waymark_runtime::forwarded::{IpNet, client_addr};
///
/// let proxy: IpAddr = "10.0.0.2".parse().unwrap();
/// let trusted: [IpNet; 1] = ["10.0.0.0/8".parse().unwrap()];
/// let headers = [(&b"X-Forwarded-For"[..], &b"1.2.3.4, 203.0.113.9, 10.0.0.1"[..])];
///
/// // The proxy (and the proxy before it) are trusted: the hop before them is the client. The
/// // client wrote `1.2.3.4` itself; it is never reached.
/// assert_eq!(client_addr(proxy, headers, &trusted), Some("203.0.113.9".parse().unwrap()));
/// // The same headers straight from a client: the client is the peer.
/// let client: IpAddr = "198.51.100.4".parse().unwrap();
/// assert_eq!(client_addr(client, headers, &trusted), Some(client));
/// ```
pub fn client_addr<'a>(
    peer: IpAddr,
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer.to_canonical();
    if !trusted.iter().any(|net| net.contains(peer)) {
        return Some(peer);
    }
    match walk(headers, trusted) {
        Named::Absent => Some(peer),
        named => named.addr(),
    }
}

/// The rule for a request from a proxy on a Unix domain socket: the peer is trusted, and has no
/// address of its own to fall back on.
fn via_unix_proxy<'a>(headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>, trusted: &[IpNet]) -> Option<IpAddr> {
    walk(headers, trusted).addr()
}

/// The client the headers of a trusted peer name: `Absent` when neither header is present (the
/// request is the peer's own), `NoOne` when they name no usable address or disagree.
fn walk<'a>(headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>, trusted: &[IpNet]) -> Named {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut xff = Walk::default();
    let mut fwd = Walk::default();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"x-forwarded-for") {
            xff.present = true;
            for element in list(value) {
                xff.hop(plain_node(element), is_trusted);
            }
        } else if name.eq_ignore_ascii_case(b"forwarded") {
            fwd.present = true;
            forwarded_hops(value, |hop| fwd.hop(hop, is_trusted));
        }
    }
    match (xff.result(), fwd.result()) {
        (one, Named::Absent) | (Named::Absent, one) => one,
        (a, b) if a == b => a,
        _ => Named::NoOne,
    }
}

/// The rule applied to a request, where a handler looks for it.
impl Request {
    /// The client's address: the socket peer, or, when the peer is one of the server's
    /// [trusted proxies](crate::ServerBuilder::trusted_proxies), the address the proxies name in
    /// `X-Forwarded-For` or `Forwarded`, walked from the right. `None` for a request that did not
    /// come over a socket, or when a trusted proxy says it does not know (`for=unknown`, an
    /// obfuscated name, a malformed value, two headers that disagree). The exact rule is in
    /// [`forwarded`](crate::forwarded#the-rule).
    ///
    /// Computed on each call, from the headers in place (no allocation), so a server that never
    /// asks pays nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::sync::Arc;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use waymark_runtime::{App, Request, Response, Server};
    ///
    /// struct Who;
    ///
    /// impl App for Who {
    ///     fn handle<'a>(&'a self, req: &'a Request) -> impl Future<Output = Response> + Send + 'a {
    ///         async move { Response::text(format!("{:?}", req.client_addr())) }
    ///     }
    /// }
    ///
    /// async fn ask(peer: [u8; 4], header: &str) -> String {
    ///     let server = Server::builder().trusted_proxies(["10.0.0.0/8".parse().unwrap()]);
    ///     let (mut client, io) = tokio::io::duplex(4096);
    ///     tokio::spawn(async move { server.serve_connection(io, (peer, 40000).into(), Arc::new(Who)).await });
    ///     let head = format!("GET / HTTP/1.1\r\nhost: x\r\n{header}\r\nconnection: close\r\n\r\n");
    ///     client.write_all(head.as_bytes()).await.unwrap();
    ///     let mut response = String::new();
    ///     client.read_to_string(&mut response).await.unwrap();
    ///     response.rsplit("\r\n\r\n").next().unwrap().to_owned()
    /// }
    ///
    /// // A client that is not a trusted proxy cannot choose its address.
    /// assert_eq!(ask([198, 51, 100, 4], "x-forwarded-for: 1.2.3.4").await, "Some(198.51.100.4)");
    /// // A trusted proxy is believed: the client is the rightmost hop that is not a proxy.
    /// assert_eq!(ask([10, 0, 0, 2], "x-forwarded-for: 1.2.3.4, 203.0.113.9").await, "Some(203.0.113.9)");
    /// assert_eq!(ask([10, 0, 0, 2], "forwarded: for=\"[2001:db8::9]:4711\"").await, "Some(2001:db8::9)");
    /// assert_eq!(ask([10, 0, 0, 2], "forwarded: for=unknown").await, "None");
    /// # }
    /// ```
    ///
    /// Over a Unix domain socket, the peer counts as a trusted proxy, and a request with neither
    /// header has no client address: see [the rule there](crate::forwarded#over-a-unix-domain-socket).
    pub fn client_addr(&self) -> Option<IpAddr> {
        match self.peer_addr() {
            Some(peer) => client_addr(peer.ip(), self.headers(), self.trusted_proxies()),
            None if self.peer_credentials().is_some() => via_unix_proxy(self.headers(), self.trusted_proxies()),
            None => None,
        }
    }
}

/// What a header, or one of its elements, says of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// Nothing: the header (or the element's `for`) is absent.
    Absent,
    Client(IpAddr),
    /// Someone it does not name: `unknown`, an obfuscated node, a malformed value.
    NoOne,
}

impl Named {
    fn addr(self) -> Option<IpAddr> {
        match self {
            Named::Client(ip) => Some(ip),
            Named::Absent | Named::NoOne => None,
        }
    }
}

/// One header's hops, read left to right while keeping what a walk from the right would find.
#[derive(Default)]
struct Walk {
    present: bool,
    /// Whether a hop was seen, and the first one when it is an address: the answer if every hop
    /// is trusted.
    any_hop: bool,
    leftmost: Option<IpAddr>,
    /// The rightmost hop that is not a trusted address.
    last_untrusted: Option<Named>,
}

impl Walk {
    fn hop(&mut self, hop: Option<IpAddr>, is_trusted: impl Fn(IpAddr) -> bool) {
        let hop = hop.map(|ip| ip.to_canonical());
        if !self.any_hop {
            self.any_hop = true;
            self.leftmost = hop;
        }
        match hop {
            Some(ip) if is_trusted(ip) => {}
            Some(ip) => self.last_untrusted = Some(Named::Client(ip)),
            None => self.last_untrusted = Some(Named::NoOne),
        }
    }

    fn result(&self) -> Named {
        if !self.present {
            return Named::Absent;
        }
        // A header with no element at all (`X-Forwarded-For: `) names no one.
        self.last_untrusted.unwrap_or(self.leftmost.map_or(Named::NoOne, Named::Client))
    }
}

/// An `X-Forwarded-For` element: an IP address, possibly with a port (`1.2.3.4:80`,
/// `[2001:db8::1]:80`, `[2001:db8::1]`); anything else names no address.
fn plain_node(element: &[u8]) -> Option<IpAddr> {
    let s = std::str::from_utf8(element).ok()?;
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(is_port))
            .then(|| v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6))
            .flatten();
    }
    let (v4, port) = s.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    v4.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(s: &str) -> bool {
    (1..=5).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 7239 §6: `node = nodename [ ":" node-port ]`, where `nodename` is an IPv4 address, a
/// bracketed IPv6 address, `unknown` or an obfuscated `_name`, and `node-port` digits or an
/// obfuscated `_port`. Only an address (with a valid port or none) names one.
fn forwarded_node(value: &[u8]) -> Option<IpAddr> {
    let s = std::str::from_utf8(value).ok()?;
    let (name, port) = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (IpAddr::V6(v6.parse().ok()?), port)
    } else {
        let (name, port) = match s.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (s, None),
        };
        (IpAddr::V4(name.parse().ok()?), port)
    };
    let port_ok = |p: &str| is_port(p) || p.strip_prefix('_').is_some_and(is_obfuscated);
    port.is_none_or(port_ok).then_some(name)
}

fn is_obfuscated(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Calls `hop` for each element of one `Forwarded` field line, with the address its `for`
/// parameter names (`None` for `unknown`, an obfuscated node, a missing or repeated `for`, or an
/// invalid value). A syntax error ends the line with one last `None`: where the element it is in
/// ends is unknown, so nothing to its right can be told apart from what the client wrote.
///
/// RFC 7239 §4: `Forwarded = 1#forwarded-element`,
/// `forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )`,
/// `forwarded-pair = token "=" value`, `value = token / quoted-string`.
fn forwarded_hops(line: &[u8], mut hop: impl FnMut(Option<IpAddr>)) {
    let mut rest = line;
    // The current element: how many pairs it has, and what its `for` says.
    let mut pairs = 0usize;
    let mut node = Named::Absent;
    loop {
        rest = trim_start_ows(rest);
        match rest.first() {
            None | Some(b',') => {
                if pairs > 0 {
                    hop(node.addr());
                }
                let Some((_, after)) = rest.split_first() else { return };
                rest = after;
                pairs = 0;
                node = Named::Absent;
                continue;
            }
            Some(b';') => {
                rest = &rest[1..];
                continue;
            }
            Some(_) => {}
        }
        let Some(pair) = Pair::parse(rest) else {
            hop(None);
            return;
        };
        rest = pair.rest;
        pairs += 1;
        if pair.name.eq_ignore_ascii_case(b"for") {
            // RFC 7239 §4: a parameter occurs at most once per element.
            node = match (node, pair.value.and_then(forwarded_node)) {
                (Named::Absent, Some(ip)) => Named::Client(ip),
                _ => Named::NoOne,
            };
        }
        // After a pair: only `;`, `,`, the end, or whitespace before them.
        if !matches!(trim_start_ows(rest).first(), None | Some(b',' | b';')) {
            hop(None);
            return;
        }
    }
}

/// `token "=" ( token / quoted-string )`, and what follows it.
struct Pair<'a> {
    name: &'a [u8],
    /// `None` when a quoted string uses `\` escapes: no valid node needs one.
    value: Option<&'a [u8]>,
    rest: &'a [u8],
}

impl<'a> Pair<'a> {
    /// The pair at the start of `s`, if it is one.
    fn parse(s: &'a [u8]) -> Option<Self> {
        let name_len = s.iter().take_while(|&&b| is_tchar(b)).count();
        if name_len == 0 || s.get(name_len) != Some(&b'=') {
            return None;
        }
        let (name, s) = (&s[..name_len], &s[name_len + 1..]);
        if s.first() == Some(&b'"') {
            let mut escaped = false;
            let mut i = 1;
            loop {
                match *s.get(i)? {
                    b'"' => break,
                    b'\\' => {
                        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                        let next = *s.get(i + 1)?;
                        if (next != b'\t' && next < 0x20) || next == 0x7f {
                            return None;
                        }
                        escaped = true;
                        i += 2;
                    }
                    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                    b if (b != b'\t' && b < 0x20) || b == 0x7f => return None,
                    _ => i += 1,
                }
            }
            let value = (!escaped).then_some(&s[1..i]);
            return Some(Self { name, value, rest: &s[i + 1..] });
        }
        let value_len = s.iter().take_while(|&&b| is_tchar(b)).count();
        if value_len == 0 {
            return None;
        }
        Some(Self { name, value: Some(&s[..value_len]), rest: &s[value_len..] })
    }
}

fn trim_start_ows(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::net::tests::{ip, nets};

    /// `(peer, headers, expected client)`.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>);

    /// Each case with the trusted list `10.0.0.0/8`, `fd00::/8`, `192.0.2.1`.
    fn check(cases: &[Case<'_>]) {
        let trusted = nets(&["10.0.0.0/8", "fd00::/8", "192.0.2.1"]);
        for &(peer, headers, expected) in cases {
            let headers = headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
            assert_eq!(client_addr(ip(peer), headers, &trusted), expected.map(ip), "{peer} {cases:?}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        check(&[
            ("203.0.113.5", &[], Some("203.0.113.5")),
            ("203.0.113.5", &[("x-forwarded-for", "1.2.3.4")], Some("203.0.113.5")),
            ("203.0.113.5", &[("Forwarded", "for=1.2.3.4")], Some("203.0.113.5")),
            ("203.0.113.5", &[("X-Forwarded-For", "10.0.0.1")], Some("203.0.113.5")),
            ("2001:db8::5", &[("x-forwarded-for", "garbage")], Some("2001:db8::5")),
            ("127.0.0.1", &[("x-forwarded-for", "1.2.3.4")], Some("127.0.0.1")),
        ]);
        // No trusted list: every peer is the client.
        let headers = [(&b"x-forwarded-for"[..], &b"1.2.3.4"[..])];
        assert_eq!(client_addr(ip("10.0.0.1"), headers, &[]), Some(ip("10.0.0.1")));
    }

    #[test]
    fn x_forwarded_for_is_walked_from_the_right_past_trusted_hops() {
        check(&[
            ("10.0.0.1", &[("x-forwarded-for", "203.0.113.7")], Some("203.0.113.7")),
            // What the client wrote is on the left, never reached.
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4, 203.0.113.7")], Some("203.0.113.7")),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4,203.0.113.7, 10.9.9.9 ,192.0.2.1")], Some("203.0.113.7")),
            // Several lines are one list, in order.
            (
                "10.0.0.1",
                &[("x-forwarded-for", "1.2.3.4"), ("X-Forwarded-For", "203.0.113.7, 10.0.0.3")],
                Some("203.0.113.7"),
            ),
            ("10.0.0.1", &[("x-forwarded-for", "203.0.113.7"), ("x-forwarded-for", "")], Some("203.0.113.7")),
            // Ports and brackets.
            ("10.0.0.1", &[("x-forwarded-for", "203.0.113.7:4711")], Some("203.0.113.7")),
            ("10.0.0.1", &[("x-forwarded-for", "[2001:db8::7]:4711")], Some("2001:db8::7")),
            ("10.0.0.1", &[("x-forwarded-for", "[2001:db8::7]")], Some("2001:db8::7")),
            ("10.0.0.1", &[("x-forwarded-for", "2001:db8::7, [fd00::1]:80")], Some("2001:db8::7")),
            // IPv4-mapped: both the peer and the hops.
            ("::ffff:10.0.0.1", &[("x-forwarded-for", "::ffff:203.0.113.7, ::ffff:10.0.0.2")], Some("203.0.113.7")),
            // Empty elements are skipped.
            ("10.0.0.1", &[("x-forwarded-for", ", ,203.0.113.7,,")], Some("203.0.113.7")),
            // Every hop trusted: the leftmost; no header: the proxy itself.
            ("10.0.0.1", &[("x-forwarded-for", "10.0.0.9, 192.0.2.1")], Some("10.0.0.9")),
            ("10.0.0.1", &[], Some("10.0.0.1")),
            ("10.0.0.1", &[("x-real-ip", "1.2.3.4")], Some("10.0.0.1")),
        ]);
    }

    #[test]
    fn hostile_or_malformed_x_forwarded_for_names_no_one() {
        check(&[
            ("10.0.0.1", &[("x-forwarded-for", "unknown")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4, unknown")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4, garbage, 10.0.0.2")], None),
            ("10.0.0.1", &[("x-forwarded-for", "")], None),
            ("10.0.0.1", &[("x-forwarded-for", " , ")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4 5.6.7.8")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4;5.6.7.8")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4:")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4:123456")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4:80:80")], None),
            ("10.0.0.1", &[("x-forwarded-for", "[2001:db8::7]x")], None),
            ("10.0.0.1", &[("x-forwarded-for", "[1.2.3.4]")], None),
            ("10.0.0.1", &[("x-forwarded-for", "2001:db8::7::1")], None),
            ("10.0.0.1", &[("x-forwarded-for", "01.2.3.4")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4\u{0}")], None),
            ("10.0.0.1", &[("x-forwarded-for", "\"1.2.3.4\"")], None),
            ("10.0.0.1", &[("x-forwarded-for", "1.2.3.4%eth0")], None),
            ("10.0.0.1", &[("x-forwarded-for", "256.1.1.1")], None),
        ]);
        // Bytes that are not UTF-8.
        let headers = [(&b"x-forwarded-for"[..], &b"\xff\xfe, 1.2.3.4\xc0"[..])];
        assert_eq!(client_addr(ip("10.0.0.1"), headers, &nets(&["10.0.0.0/8"])), None);
        // A garbage hop on the left of the client is never reached.
        let headers = [(&b"x-forwarded-for"[..], &b"\xff\xfe, 203.0.113.7"[..])];
        assert_eq!(client_addr(ip("10.0.0.1"), headers, &nets(&["10.0.0.0/8"])), Some(ip("203.0.113.7")));
    }

    #[test]
    fn forwarded_follows_rfc_7239() {
        check(&[
            ("10.0.0.1", &[("forwarded", "for=203.0.113.7")], Some("203.0.113.7")),
            ("10.0.0.1", &[("Forwarded", "For=\"203.0.113.7\"")], Some("203.0.113.7")),
            ("10.0.0.1", &[("forwarded", "for=\"203.0.113.7:4711\"")], Some("203.0.113.7")),
            ("10.0.0.1", &[("forwarded", "for=\"[2001:db8:cafe::17]:4711\"")], Some("2001:db8:cafe::17")),
            ("10.0.0.1", &[("forwarded", "for=\"[2001:db8:cafe::17]\";proto=https")], Some("2001:db8:cafe::17")),
            ("10.0.0.1", &[("forwarded", "for=\"203.0.113.7:_port1\"")], Some("203.0.113.7")),
            (
                "10.0.0.1",
                &[("forwarded", "for=1.2.3.4, for=203.0.113.7;proto=https;by=10.0.0.1, for=10.0.0.5")],
                Some("203.0.113.7"),
            ),
            ("10.0.0.1", &[("forwarded", "proto=http;for=203.0.113.7 ; host=example.com")], Some("203.0.113.7")),
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4"), ("forwarded", "for=203.0.113.7")], Some("203.0.113.7")),
            ("10.0.0.1", &[("forwarded", "for=203.0.113.7,,  ,")], Some("203.0.113.7")),
            ("10.0.0.1", &[("forwarded", "for=\"[fd00::9]\", for=10.0.0.9")], Some("fd00::9")),
            // A `by` naming a client address is not a hop.
            ("10.0.0.1", &[("forwarded", "by=1.2.3.4;for=203.0.113.7")], Some("203.0.113.7")),
        ]);
    }

    #[test]
    fn hostile_or_malformed_forwarded_names_no_one() {
        check(&[
            ("10.0.0.1", &[("forwarded", "for=unknown")], None),
            ("10.0.0.1", &[("forwarded", "for=_hidden")], None),
            ("10.0.0.1", &[("forwarded", "for=\"_gazonk:_port\"")], None),
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4, for=_hidden")], None),
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4, proto=https")], None),
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4;for=203.0.113.7")], None),
            // IPv6 must be quoted and bracketed; a port must be quoted.
            ("10.0.0.1", &[("forwarded", "for=[2001:db8::7]")], None),
            ("10.0.0.1", &[("forwarded", "for=\"2001:db8::7\"")], None),
            ("10.0.0.1", &[("forwarded", "for=203.0.113.7:80")], None),
            ("10.0.0.1", &[("forwarded", "for=\"203.0.113.7:80x\"")], None),
            ("10.0.0.1", &[("forwarded", "for=\"[2001:db8::7]80\"")], None),
            // Syntax errors: where the element ends is unknown, so what follows cannot be believed.
            ("10.0.0.1", &[("forwarded", "for=\"1.2.3.4, for=203.0.113.7")], None),
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4 for=203.0.113.7")], None),
            ("10.0.0.1", &[("forwarded", "for")], None),
            ("10.0.0.1", &[("forwarded", "for=")], None),
            ("10.0.0.1", &[("forwarded", "=1.2.3.4")], None),
            ("10.0.0.1", &[("forwarded", "for==1.2.3.4")], None),
            ("10.0.0.1", &[("forwarded", "for=\"1.2.3.4\"x")], None),
            ("10.0.0.1", &[("forwarded", "for=\"1.2.3.4\\\"")], None),
            ("10.0.0.1", &[("forwarded", "for=\"\\1.2.3.4\"")], None),
            ("10.0.0.1", &[("forwarded", "for=\"1.2.3.4\u{1}\"")], None),
            ("10.0.0.1", &[("forwarded", "")], None),
            // An element with no pair is an empty one, as `,,`.
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4, ;")], Some("1.2.3.4")),
            // A malformed line on the left of the proxy's own line is never reached.
            ("10.0.0.1", &[("forwarded", "for=\"1.2.3.4"), ("forwarded", "for=203.0.113.7")], Some("203.0.113.7")),
            ("10.0.0.1", &[("forwarded", "garbage, for=203.0.113.7")], None),
        ]);
    }

    #[test]
    fn both_headers_must_agree() {
        check(&[
            ("10.0.0.1", &[("x-forwarded-for", "203.0.113.7"), ("forwarded", "for=203.0.113.7")], Some("203.0.113.7")),
            ("10.0.0.1", &[("x-forwarded-for", "203.0.113.7"), ("forwarded", "for=1.2.3.4")], None),
            ("10.0.0.1", &[("forwarded", "for=1.2.3.4"), ("x-forwarded-for", "203.0.113.7")], None),
            ("10.0.0.1", &[("forwarded", "for=203.0.113.7"), ("x-forwarded-for", "garbage")], None),
        ]);
    }
}

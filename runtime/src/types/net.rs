//! IP networks ([`IpNet`]), the type of the server's trusted-proxy list. Its own module, so
//! that the limits that hold the list do not pull in the header walk of
//! [`forwarded`](crate::forwarded), which re-exports it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`), or one address
/// (`192.0.2.7`, a `/32` or `/128`).
///
/// Parsed from `"address"` or `"address/prefix"`; bits past the prefix are ignored
/// (`"10.1.2.3/8"` is `10.0.0.0/8`). An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is
/// the IPv4 network it maps.
///
/// ```
/// use waymark_runtime::forwarded::IpNet;
///
/// let net: IpNet = "10.0.0.0/8".parse().unwrap();
/// assert!(net.contains("10.200.0.1".parse().unwrap()));
/// assert!(!net.contains("11.0.0.1".parse().unwrap()));
/// assert!("fd00::/8".parse::<IpNet>().unwrap().contains("fd12::1".parse().unwrap()));
/// assert!("10.0.0.0/33".parse::<IpNet>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// The network of `addr` with the first `prefix` bits significant; `None` when `prefix` is
    /// longer than the address (32 bits for IPv4, 128 for IPv6).
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) if (96..=128).contains(&prefix) => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (addr, prefix),
            },
            _ => (addr, prefix),
        };
        let addr = match addr {
            IpAddr::V4(v4) if prefix <= 32 => IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & mask32(prefix))),
            IpAddr::V6(v6) if prefix <= 128 => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask128(prefix))),
            _ => return None,
        };
        Some(Self { addr, prefix })
    }

    /// The network's first address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is in the network. An IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => ip.to_bits() & mask32(self.prefix) == net.to_bits(),
            (IpAddr::V6(net), IpAddr::V6(ip)) => ip.to_bits() & mask128(self.prefix) == net.to_bits(),
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl From<IpAddr> for IpNet {
    /// The network of this one address.
    fn from(addr: IpAddr) -> Self {
        let ip = addr.to_canonical();
        Self { addr: ip, prefix: if ip.is_ipv4() { 32 } else { 128 } }
    }
}

impl FromStr for IpNet {
    type Err = InvalidNet;

    fn from_str(s: &str) -> Result<Self, InvalidNet> {
        let invalid = || InvalidNet(s.to_owned());
        let Some((addr, prefix)) = s.split_once('/') else {
            return s.parse::<IpAddr>().map(IpNet::from).map_err(|_| invalid());
        };
        let addr = addr.parse::<IpAddr>().map_err(|_| invalid())?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let prefix = prefix.parse::<u8>().map_err(|_| invalid())?;
        IpNet::new(addr, prefix).ok_or_else(invalid)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A string that is not an IP address or network, from [`IpNet`]'s `FromStr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidNet(String);

impl fmt::Display for InvalidNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an IP address or network (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`)", self.0)
    }
}

impl std::error::Error for InvalidNet {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub(crate) fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn ip_networks() {
        let cases: &[(&str, Option<&str>)] = &[
            ("10.0.0.0/8", Some("10.0.0.0/8")),
            ("10.1.2.3/8", Some("10.0.0.0/8")),
            ("10.1.2.3", Some("10.1.2.3/32")),
            ("0.0.0.0/0", Some("0.0.0.0/0")),
            ("::1", Some("::1/128")),
            ("fd00::/8", Some("fd00::/8")),
            ("::ffff:10.0.0.0/104", Some("10.0.0.0/8")),
            ("::ffff:10.1.2.3", Some("10.1.2.3/32")),
            ("::/0", Some("::/0")),
            ("10.0.0.0/33", None),
            ("::/129", None),
            ("10.0.0.0/", None),
            ("10.0.0.0/+8", None),
            ("10.0.0.0/008", Some("10.0.0.0/8")),
            ("10.0.0.0/0008", None),
            ("10.0.0.0/8/8", None),
            ("localhost", None),
            ("", None),
        ];
        for &(s, expected) in cases {
            assert_eq!(s.parse::<IpNet>().ok().map(|n| n.to_string()), expected.map(str::to_owned), "{s}");
        }
        let all = nets(&["0.0.0.0/0"]);
        assert!(all[0].contains(ip("255.255.255.255")) && !all[0].contains(ip("::1")));
        let host = nets(&["192.0.2.1"]);
        assert!(host[0].contains(ip("::ffff:192.0.2.1")) && !host[0].contains(ip("192.0.2.2")));
        let v6 = nets(&["2001:db8::/32"]);
        assert!(v6[0].contains(ip("2001:db8:ffff::1")) && !v6[0].contains(ip("2001:db9::1")));
        assert!(IpNet::new(ip("10.0.0.0"), 33).is_none());
    }
}

package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Errors a fetch refused with before asking anything of the network.
var (
	// ErrHostNotAllowed: the URL (a link, a redirect) is on a host that is not one of
	// the source's: the hosts of its list_urls and its allowed_hosts.
	ErrHostNotAllowed = errors.New("host is not one of the source's")
	// ErrAddressNotAllowed: the host resolved to a loopback, private, link-local or
	// otherwise non-public address that is not where the source itself is.
	ErrAddressNotAllowed = errors.New("address is not public")
)

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// policy says where one source's fetches may go: which host names its pages may
// come from (links, redirects, next pages), and which non-public addresses it may
// connect to — only those the source itself is on (a source on 127.0.0.1 may fetch
// 127.0.0.1, not 127.0.0.2 nor 169.254.169.254). Every other address must be public.
// The address is checked when the connection is made, on the address actually
// dialled, so that a host name that resolves somewhere else later (DNS rebinding)
// does not pass.
type policy struct {
	hosts []string              // lower-case host names, without port
	own   map[netip.Addr]string // the non-public addresses the source is on
	key   string                // identifies own, to pool connections per policy
}

type policyKey struct{}

func withPolicy(ctx context.Context, p *policy) context.Context {
	return context.WithValue(ctx, policyKey{}, p)
}

// policyFrom returns the policy a fetch runs under; nil when none is set.
func policyFrom(ctx context.Context) *policy {
	p, _ := ctx.Value(policyKey{}).(*policy)
	return p
}

// newPolicy returns the policy of a source whose pages come from the hosts of
// ownURLs (its list pages: the source itself) and the hosts named in allowed (its
// allowed_hosts). The non-public addresses the own hosts resolve to, and those
// written as addresses in allowed, may be dialled; a name in allowed must resolve to
// public addresses (or to the source's own).
func newPolicy(ctx context.Context, r Resolver, ownURLs, allowed []string) *policy {
	p := &policy{own: map[netip.Addr]string{}}
	addHost := func(h string) string {
		h = normHost(h)
		if h != "" && !slices.Contains(p.hosts, h) {
			p.hosts = append(p.hosts, h)
		}
		return h
	}
	for _, raw := range ownURLs {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		h := addHost(u.Hostname())
		for _, a := range resolve(ctx, r, h) {
			if why := nonPublic(a); why != "" {
				p.own[a] = why
			}
		}
	}
	for _, h := range allowed {
		h = addHost(h)
		if a, err := netip.ParseAddr(h); err == nil {
			if why := nonPublic(a.Unmap()); why != "" {
				p.own[a.Unmap()] = why
			}
		}
	}
	keys := make([]string, 0, len(p.own))
	for a := range p.own {
		keys = append(keys, a.String())
	}
	slices.Sort(keys)
	p.key = strings.Join(keys, ",")
	return p
}

// normHost lower-cases a host name and drops a trailing dot and IPv6 brackets.
func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

// resolve returns the addresses of host (itself, when it is an address); none when
// the lookup fails.
func resolve(ctx context.Context, r Resolver, host string) []netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	ips, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip.IP); ok {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// allowURL reports a URL whose host is not one of the source's.
func (p *policy) allowURL(u *url.URL) error {
	h := normHost(u.Hostname())
	if slices.Contains(p.hosts, h) {
		return nil
	}
	return fmt.Errorf("%w: %s (the source's hosts: %s; a source that serves pages from another host lists it under allowed_hosts)",
		ErrHostNotAllowed, h, strings.Join(p.hosts, ", "))
}

// allowAddr reports an address the source may not connect to.
func (p *policy) allowAddr(a netip.Addr) error {
	a = a.Unmap()
	why := nonPublic(a)
	if why == "" {
		return nil
	}
	if p != nil {
		if _, ok := p.own[a]; ok {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is a %s address, and the source is not on it", ErrAddressNotAllowed, a, why)
}

// specialPrefixes are the ranges, besides those netip classifies, that are not public
// unicast addresses (RFC 6890 and its IPv6 counterparts).
var specialPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nonPublic names the kind of a non-public address ("loopback", "private",
// "link-local" …), or returns "" for a public unicast address.
func nonPublic(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast():
		return "multicast"
	}
	for _, p := range specialPrefixes {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}

// dialContext connects to addr (host:port) for a request, refusing every address
// the request's policy does not allow. A host name is resolved here and each address
// checked before it is dialled, so the check is on the address connected to.
func (f *Fetcher) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a.Unmap()}
	} else {
		ips, err := f.resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if a, ok := netip.AddrFromSlice(ip.IP); ok {
				addrs = append(addrs, a.Unmap())
			}
		}
	}
	p := policyFrom(ctx)
	var errs []error
	for _, a := range addrs {
		if err := p.allowAddr(a); err != nil {
			errs = append(errs, fmt.Errorf("connect to %s (%s): %w", host, a, err))
			continue
		}
		conn, err := f.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("connect to %s: no address", host)
	}
	return nil, errors.Join(errs...)
}

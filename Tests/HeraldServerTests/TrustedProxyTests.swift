import Testing

@testable import HeraldServer

/// `--trusted-proxy`: CIDR blocks, and which address of a forwarded chain names the client.
@Suite("Trusted proxies: CIDR blocks and forwarded chains")
struct TrustedProxyTests {
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    // MARK: Addresses and blocks

    @Test func addressesHaveOneSpellingEach() {
        #expect(IPAddress("192.0.2.7")?.description == "192.0.2.7")
        #expect(IPAddress("::ffff:192.0.2.7") == IPAddress("192.0.2.7"), "IPv4-mapped IPv6 is the IPv4 address")
        #expect(IPAddress("::FFFF:192.0.2.7")?.description == "192.0.2.7")
        #expect(IPAddress("2001:DB8:0:0::1")?.description == "2001:db8::1")
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("::ffff:192.0.2.7")?.isIPv4 == true && IPAddress("::1")?.isIPv4 == false)
        let junk = [
            "", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", "0x7f.0.0.1", "example.com", "fe80::1%eth0", "[::1]", "1.2.3.4 ", "1.2.3.4\u{0}",
            ":::", "1::2::3",
        ]
        for junk in junk {
            #expect(IPAddress(junk) == nil, "\(junk)")
        }
    }

    @Test func blocksContainTheirAddresses() throws {
        let ten = try CIDR(parsing: "10.0.0.0/8")
        #expect(ten.contains(Self.address("10.255.1.2")) && !ten.contains(Self.address("11.0.0.1")))
        #expect(ten.contains(Self.address("::ffff:10.1.2.3")), "the mapped form of an address in the block")
        #expect(!ten.contains(Self.address("2001:db8::1")))
        #expect(ten.description == "10.0.0.0/8")

        let one = try CIDR(parsing: "192.0.2.7")
        #expect(one.description == "192.0.2.7/32" && one.contains(Self.address("192.0.2.7")) && !one.contains(Self.address("192.0.2.8")))
        let loopback6 = try CIDR(parsing: "::1")
        #expect(loopback6.description == "::1/128" && loopback6.contains(Self.address("::1")) && !loopback6.contains(Self.address("127.0.0.1")))

        let documentation = try CIDR(parsing: "2001:db8::/32")
        #expect(documentation.contains(Self.address("2001:db8:ffff::1")) && !documentation.contains(Self.address("2001:db9::1")))
        #expect(try CIDR(parsing: "::ffff:10.0.0.0/104").contains(Self.address("10.9.9.9")), "an IPv4 block written as mapped IPv6")

        let anyIPv4 = try CIDR(parsing: "0.0.0.0/0")
        #expect(anyIPv4.contains(Self.address("203.0.113.1")) && !anyIPv4.contains(Self.address("2001:db8::1")))
        #expect(try CIDR(parsing: "::/0").contains(Self.address("2001:db8::1")))
        #expect(try CIDR(parsing: "192.168.1.10/24").description == "192.168.1.0/24", "bits past the prefix are ignored")
        #expect(try CIDR(parsing: "fd12:3456::7/16").description == "fd12::/16")
    }

    @Test(arguments: [
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/9", "10.0.0.0/08x", "10.0.0/8",
        "10.0.0.256", "010.0.0.1", "example.com", "example.com/8", "fe80::1%eth0", "[::1]", "[::1]/128", " 10.0.0.1", "10.0.0.0/٣",
        "10.0.0.0/1000", "*",
    ])
    func junkIsNotABlock(_ text: String) {
        #expect(throws: CIDR.ParseError.self, "\(text)") { try CIDR(parsing: text) }
    }

    @Test func theRefusalSaysWhatIsWrongAndWhatWouldDo() {
        do throws(CIDR.ParseError) {
            _ = try CIDR(parsing: "10.0.0.0/33")
            Issue.record("a /33 IPv4 block was taken")
        } catch {
            #expect(
                error.description
                    == "'10.0.0.0/33' is not an address or CIDR block (the prefix length after / must be 0 to 32); write e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8"
            )
        }
    }

    // MARK: The chain

    static let proxies = TrustedProxies([try! CIDR(parsing: "10.0.0.0/8"), try! CIDR(parsing: "2001:db8:1::/48")])

    static func xff(_ lines: String..., peer: String = "10.0.0.1") -> String {
        proxies.client(peer: peer, forwardedFor: lines, forwarded: [])
    }

    static func forwarded(_ lines: String..., peer: String = "10.0.0.1") -> String {
        proxies.client(peer: peer, forwardedFor: [], forwarded: lines)
    }

    @Test func anUntrustedPeersHeadersAreIgnored() {
        #expect(Self.xff("198.51.100.7", peer: "203.0.113.9") == "203.0.113.9")
        #expect(Self.forwarded("for=198.51.100.7", peer: "203.0.113.9") == "203.0.113.9")
        #expect(Self.xff("198.51.100.7", peer: "unknown") == "unknown")
        #expect(TrustedProxies().client(peer: "10.0.0.1", forwardedFor: ["198.51.100.7"], forwarded: []) == "10.0.0.1", "no proxies trusted")
        #expect(Self.proxies.client(peer: "10.0.0.1", forwardedFor: [], forwarded: []) == "10.0.0.1", "no header")
    }

    @Test func theRightmostUntrustedAddressIsTheClient() {
        #expect(Self.xff("198.51.100.7") == "198.51.100.7")
        #expect(Self.xff("198.51.100.7, 10.0.0.5") == "198.51.100.7", "a second trusted proxy")
        #expect(Self.xff("10.0.0.3, 10.0.0.2") == "10.0.0.3", "every hop trusted: the left-most")
        #expect(Self.xff("6.6.6.6", "198.51.100.7") == "198.51.100.7", "header lines are one list, in order")
        #expect(Self.xff("198.51.100.7:4711") == "198.51.100.7")
        #expect(Self.xff("[2001:db8:2::5]:443") == "2001:db8:2::5")
        #expect(Self.xff("2001:DB8:2::5") == "2001:db8:2::5", "one spelling per client")
        #expect(Self.xff("::ffff:198.51.100.7") == "198.51.100.7")
        #expect(Self.xff("\t198.51.100.7 ,10.0.0.5 ") == "198.51.100.7")
        #expect(Self.xff("2001:db8:2::5", peer: "2001:db8:1::1") == "2001:db8:2::5", "an IPv6 proxy")
        #expect(Self.xff("198.51.100.7", peer: "::ffff:10.0.0.1") == "198.51.100.7", "a proxy seen on a dual-stack socket")
    }

    @Test func whatTheClientPrependsCannotNameIt() {
        #expect(Self.xff("6.6.6.6, 198.51.100.7") == "198.51.100.7")
        #expect(Self.xff("10.0.0.9, 198.51.100.7, 10.0.0.5") == "198.51.100.7", "a forged trusted address left of the client")
        #expect(Self.xff("not an address, 198.51.100.7") == "198.51.100.7", "junk left of the client does not matter")
        #expect(Self.forwarded("for=6.6.6.6, for=198.51.100.7") == "198.51.100.7")
        #expect(Self.forwarded("for=_hidden, for=unknown, for=198.51.100.7") == "198.51.100.7")
    }

    @Test func junkWhereTheClientShouldBeNamesNobody() {
        let values = [
            "", " ", ",", "198.51.100.7,", "198.51.100.7, junk", "198.51.100.7, 10.0.0.5, unknown", "example.com", "1.2.3.4:http",
            "1.2.3.4:123456", "[2001:db8::1", "[198.51.100.7]", "2001:db8::1]:80", "198.51.100.7 10.0.0.5", "\u{0}",
            String(repeating: "a,", count: 10_000),
        ]
        for value in values {
            #expect(Self.xff(value) == "10.0.0.1", "X-Forwarded-For: \(value.prefix(40))")
        }
        #expect(Self.xff(String(repeating: "1.2.3.4, ", count: 10_000) + "198.51.100.7") == "198.51.100.7", "a long chain is walked from the right")
    }

    @Test func forwardedReadsRFC7239() {
        #expect(Self.forwarded("for=198.51.100.7;proto=https;by=10.0.0.1") == "198.51.100.7")
        #expect(Self.forwarded(#"for="[2001:db8:2::5]:4711""#) == "2001:db8:2::5")
        #expect(Self.forwarded(#"For="198.51.100.7:80""#) == "198.51.100.7", "names are case-insensitive")
        #expect(Self.forwarded(#"proto=https;for="198.51.100.7""#) == "198.51.100.7")
        #expect(Self.forwarded("for=6.6.6.6", "for=198.51.100.7, for=10.0.0.5") == "198.51.100.7")
        #expect(Self.forwarded(#"for="1.2.3.4,5";x="a;b", for=198.51.100.7"#) == "198.51.100.7", "separators inside quotes")
        let values = [
            "for=unknown", "for=_hidden", "proto=https", "for=198.51.100.7;for=203.0.113.1", #"for="198.51.100.7"#, "for=", "",
            "for=[2001:db8::1]x", #"for="198.51.100.7"x"#,
        ]
        for value in values {
            #expect(Self.forwarded(value) == "10.0.0.1", "Forwarded: \(value)")
        }
    }

    @Test func bothHeadersCountOnlyWhenTheyAgree() {
        #expect(Self.proxies.client(peer: "10.0.0.1", forwardedFor: ["198.51.100.7"], forwarded: ["for=198.51.100.7"]) == "198.51.100.7")
        // A proxy that writes one header cannot stop the client sending the other.
        #expect(Self.proxies.client(peer: "10.0.0.1", forwardedFor: ["198.51.100.7"], forwarded: ["for=6.6.6.6"]) == "10.0.0.1")
        #expect(Self.proxies.client(peer: "10.0.0.1", forwardedFor: ["6.6.6.6, 198.51.100.7"], forwarded: ["for=junk"]) == "10.0.0.1")
    }
}

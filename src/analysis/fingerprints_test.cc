#include "analysis/fingerprints.h"

#include <gtest/gtest.h>

namespace vigil::analysis {
namespace {

std::vector<FingerprintMatch> Dns(const FingerprintDb& db, std::string_view ip, std::string_view cc) {
  std::vector<FingerprintMatch> out;
  db.MatchDnsAnswer(ip, cc, out);
  return out;
}

std::vector<FingerprintMatch> Http(const FingerprintDb& db, std::string_view body,
                                   const measure::Headers& headers, std::string_view cc) {
  std::vector<FingerprintMatch> out;
  FingerprintDb::Scratch scratch;
  db.MatchHttpResponse(body, headers, cc, scratch, out);
  return out;
}

const FingerprintMatch* Named(const std::vector<FingerprintMatch>& ms, std::string_view name) {
  for (const auto& m : ms)
    if (m.fingerprint->name == name) return &m;
  return nullptr;
}

TEST(Fingerprints, BuiltinTablesLoadCompletely) {
  const auto& db = FingerprintDb::Builtin();
  // 226 DNS rows + 1,729 HTTP rows in ooni/blocking-fingerprints @171641e6.
  EXPECT_EQ(db.size(), 226u + 1729u);
}

// Real rows: ooni.by_4 (isp, BY) is 134.17.0.7, MTS Belarus' DNS forward.
TEST(Fingerprints, DnsIpConfirmsOnlyInItsCountry) {
  const auto& db = FingerprintDb::Builtin();
  auto in_by = Dns(db, "134.17.0.7", "BY");
  ASSERT_NE(Named(in_by, "ooni.by_4"), nullptr);
  EXPECT_TRUE(Named(in_by, "ooni.by_4")->confirms);
  auto elsewhere = Dns(db, "134.17.0.7", "IT");
  ASSERT_NE(Named(elsewhere, "ooni.by_4"), nullptr);
  EXPECT_FALSE(Named(elsewhere, "ooni.by_4")->confirms);
  EXPECT_TRUE(Dns(db, "93.184.216.34", "BY").empty());
}

// Real rows: ooni.ae_0 (nat, AE/SA) is a Server header prefix "Protected by WireFilter";
// ooni.ae_3 (isp, AE) is Etisalat's body text.
TEST(Fingerprints, HeaderPrefixAndBodyContains) {
  const auto& db = FingerprintDb::Builtin();
  auto h = Http(db, "", {{"Server", "Protected by WireFilter 8000 (xyz)"}}, "SA");
  ASSERT_NE(Named(h, "ooni.ae_0"), nullptr);
  EXPECT_TRUE(Named(h, "ooni.ae_0")->confirms);
  auto b = Http(db, "<html>mail it-security-operations@etisalat.ae for help</html>", {}, "AE");
  ASSERT_NE(Named(b, "ooni.ae_3"), nullptr);
  EXPECT_TRUE(Named(b, "ooni.ae_3")->confirms);
  EXPECT_TRUE(Http(db, "<html>hello</html>", {{"Server", "nginx"}}, "AE").empty());
}

TEST(Fingerprints, ScopeRulesFromASmallTable) {
  const char* dns = "name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes\n";
  const char* http =
      "name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes\n"
      "t.nat,nat,,body,contains,National block,5,CM,test,,\n"
      "t.prod,prod,,body,contains,FortiGuard Web Filtering,5,,test,,\n"
      "t.vbw,vbw,,body,contains,blocked,2,CM,test,,\n"
      "t.vbw_strong,vbw,,body,contains,site is blocked,4,CM,test,,\n"
      "t.fp,fp,,body,contains,cloudflare,5,,test,,\n"
      "t.full,isp,,header.location,full,http://block.example/,5,,test,,\n"
      "t.re,isp,,body,regexp,Sorry.*prohibited,5,,test,,\n"
      "t.re_paren,isp,,body,regexp,<span style=.*color:red;.*>\\(x,5,,test,,\n"
      "t.re_alt,isp,,body,regexp,Access denied|Zugriff verweigert,5,,test,,\n"
      "t.multi,nat,\"a,b\",body,contains,\"two\nlines\",5,\"CM, UG\",test,,\n";
  auto db = FingerprintDb::Load(dns, http);
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ((*db)->size(), 10u);
  auto m = Http(**db, "National block page", {}, "CM");
  EXPECT_TRUE(Named(m, "t.nat")->confirms);
  EXPECT_FALSE(Http(**db, "National block page", {}, "UG").front().confirms);
  EXPECT_TRUE(Http(**db, "FortiGuard Web Filtering", {}, "UG").front().confirms);
  EXPECT_FALSE(Named(Http(**db, "blocked", {}, "CM"), "t.vbw")->confirms);  // confidence 2
  EXPECT_TRUE(Named(Http(**db, "this site is blocked", {}, "CM"), "t.vbw_strong")->confirms);
  // A false-positive fingerprint vetoes vague words.
  EXPECT_FALSE(Named(Http(**db, "this site is blocked by cloudflare", {}, "CM"), "t.vbw_strong")->confirms);
  EXPECT_FALSE(Named(Http(**db, "cloudflare", {}, "CM"), "t.fp")->confirms);
  EXPECT_TRUE(Named(Http(**db, "", {{"Location", "http://block.example/"}}, "XX"), "t.full")->confirms);
  EXPECT_EQ(Named(Http(**db, "", {{"location", "http://block.example/x"}}, "XX"), "t.full"), nullptr);
  EXPECT_NE(Named(Http(**db, "Sorry, this is prohibited", {}, "XX"), "t.re"), nullptr);
  EXPECT_EQ(Named(Http(**db, "prohibited. Sorry", {}, "XX"), "t.re"), nullptr);
  // A regexp with escaped parentheses is found through its literal ("<span style="), one
  // with an alternation without one: both must match exactly as the regexp says.
  EXPECT_NE(Named(Http(**db, "a <span style=\"b color:red;\">(x</span>", {}, "XX"), "t.re_paren"), nullptr);
  EXPECT_EQ(Named(Http(**db, "a <span style=\"b color:red;\">x</span>", {}, "XX"), "t.re_paren"), nullptr);
  EXPECT_EQ(Named(Http(**db, "a <span style=\"b color:blue;\">(x</span>", {}, "XX"), "t.re_paren"), nullptr);
  EXPECT_NE(Named(Http(**db, "<h1>Zugriff verweigert</h1>", {}, "XX"), "t.re_alt"), nullptr);
  EXPECT_EQ(Named(Http(**db, "<h1>Access granted</h1>", {}, "XX"), "t.re_alt"), nullptr);
  EXPECT_TRUE(Named(Http(**db, "two\nlines", {}, "UG"), "t.multi")->confirms);
}

TEST(Fingerprints, MalformedTablesAreClearErrors) {
  const char* header = "name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries\n";
  auto bad_type = FingerprintDb::Load(header, std::string(header) + "x,isp,,body,glob,a*,5,\n");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message.find("glob"), std::string::npos);
  auto short_row = FingerprintDb::Load(header, std::string(header) + "x,isp,,body\n");
  ASSERT_FALSE(short_row);
  EXPECT_NE(short_row.error().message.find("row 1"), std::string::npos);
  auto bad_regexp = FingerprintDb::Load(header, std::string(header) + "x,isp,,body,regexp,(unclosed,5,\n");
  ASSERT_FALSE(bad_regexp);
}

}  // namespace
}  // namespace vigil::analysis

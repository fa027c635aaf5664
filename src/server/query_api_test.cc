#include "server/query_api.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

TEST(QueryApiTest, ParsesOoniFilters) {
  auto q = ParseQueryString(
      "/api/v1/measurements?probe_cc=it&probe_asn=AS30722&test_name=web_connectivity&"
      "since=2024-01-01&until=2024-02-01T00%3A00%3A00Z&anomaly=true&limit=5&offset=10&"
      "order_by=probe_cc&order=ASC&input=https%3A%2F%2Fexample.org%2F&domain=Example.ORG");
  ASSERT_TRUE(q) << q.error().ToString();
  auto f = ParseFilter(*q, true);
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->probe_cc, "IT");
  EXPECT_EQ(f->probe_asn, 30722u);
  EXPECT_EQ(f->test_name, "web_connectivity");
  EXPECT_EQ(f->input, "https://example.org/");
  EXPECT_EQ(f->domain, "example.org");
  EXPECT_EQ(f->anomaly, true);
  EXPECT_FALSE(f->confirmed);
  EXPECT_EQ(f->limit, 5u);
  EXPECT_EQ(f->offset, 10u);
  EXPECT_EQ(f->order_by, store::OrderBy::kProbeCc);
  EXPECT_EQ(f->order, store::Order::kAsc);
  ASSERT_TRUE(f->since && f->until);
  EXPECT_EQ((*f->until - *f->since), std::chrono::hours(24 * 31));
}

TEST(QueryApiTest, BadParametersAreNamed) {
  for (auto [target, param] : std::initializer_list<std::pair<const char*, const char*>>{
           {"/x?probe_cc=ITA", "probe_cc"},       {"/x?probe_asn=ASx", "probe_asn"},
           {"/x?since=yesterday", "since"},       {"/x?until=2024-13-01", "until"},
           {"/x?anomaly=yes", "anomaly"},         {"/x?limit=0", "limit"},
           {"/x?limit=100001", "limit"},          {"/x?offset=-1", "offset"},
           {"/x?order_by=uid", "order_by"},       {"/x?order=up", "order"},
           {"/x?test_name=Web%20C", "test_name"}, {"/x?since=2024-02-01&until=2024-01-01", "until"}}) {
    auto q = ParseQueryString(target);
    ASSERT_TRUE(q);
    auto f = ParseFilter(*q, true);
    ASSERT_FALSE(f) << target;
    EXPECT_EQ(f.error().failure, "invalid_parameter");
    EXPECT_EQ(ParameterOf(f.error()), param) << target << ": " << f.error().message;
  }
  auto broken = ParseQueryString("/x?input=%zz");
  ASSERT_FALSE(broken);
  EXPECT_EQ(ParameterOf(broken.error()), "input");
}

TEST(QueryApiTest, AggregationAxes) {
  auto q = ParseQueryString("/a?axis_x=measurement_start_day&axis_y=probe_cc&format=CSV");
  ASSERT_TRUE(q);
  auto r = ParseAggregation(*q);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->axis_x, store::Axis::kMeasurementStartDay);
  EXPECT_EQ(r->axis_y, store::Axis::kProbeCc);
  EXPECT_EQ(WantsCsv(*q).value(), true);
  auto bad = ParseAggregation(*ParseQueryString("/a?axis_x=colour"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(ParameterOf(bad.error()), "axis_x");
  auto y_only = ParseAggregation(*ParseQueryString("/a?axis_y=probe_cc"));
  ASSERT_FALSE(y_only);
  EXPECT_EQ(ParameterOf(y_only.error()), "axis_y");
}

TEST(QueryApiTest, CsvQuotesFieldsAndHasAHeader) {
  store::AggregationRequest r;
  r.axis_x = store::Axis::kDomain;
  store::AggregationRow row{"a,b", "", {3, 1, 1, 0, 1}};
  EXPECT_EQ(AggregationCsv(r, {row}),
            "domain,anomaly_count,confirmed_count,failure_count,measurement_count,ok_count\r\n"
            "\"a,b\",1,1,0,3,1\r\n");
}

}  // namespace
}  // namespace vigil::server

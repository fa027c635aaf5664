#include "server/static_files.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("vigil-static-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "web" / "assets");
    Write(root_ / "web" / "index.html", "<!doctype html>app");
    Write(root_ / "web" / "assets" / "app.js", "console.log(1)");
    Write(root_ / "web" / "assets" / "style.css", "body{}");
    Write(root_ / "web" / "assets" / "app.js.gz", "GZIPPED-BYTES");
    Write(root_ / "secret.txt", "secret");
    fs::create_symlink(root_ / "secret.txt", root_ / "web" / "link.txt");
    auto files = StaticFiles::Open((root_ / "web").string());
    ASSERT_TRUE(files);
    files_.emplace(std::move(*files));
  }
  void TearDown() override { fs::remove_all(root_); }
  static void Write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

  fs::path root_;
  std::optional<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirTypes) {
  auto js = files_->Serve("/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files_->Serve("/assets/style.css").content_type, "text/css; charset=utf-8");
  auto index = files_->Serve("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, ClientRoutesGetIndexMissingAssetsDoNot) {
  auto route = files_->Serve("/incidents/42");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, "<!doctype html>app");
  EXPECT_EQ(files_->Serve("/assets/missing.js").status, 404);
}

TEST_F(StaticFilesTest, NoWayOut) {
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                        "/assets/%2E%2E/%2E%2E/secret.txt", "/link.txt", "/a%00.js", "/..%5csecret.txt"}) {
    auto r = files_->Serve(p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.body.find("secret\""), std::string::npos);
    EXPECT_NE(r.body, "secret") << p;
  }
}

TEST_F(StaticFilesTest, PrecompressedCopiesGoToClientsThatAcceptGzip) {
  auto plain = files_->Serve("/assets/app.js", false);
  EXPECT_EQ(plain.body, "console.log(1)");
  auto zipped = files_->Serve("/assets/app.js", true);
  EXPECT_EQ(zipped.body, "GZIPPED-BYTES");
  EXPECT_EQ(zipped.content_type, "text/javascript; charset=utf-8");  // the type of the content
  auto has = [](const net::HttpServerResponse& r, std::string_view name, std::string_view value) {
    for (const auto& [n, v] : r.headers) {
      if (n == name && v == value) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(zipped, "Content-Encoding", "gzip"));
  EXPECT_FALSE(has(plain, "Content-Encoding", "gzip"));
  EXPECT_TRUE(has(plain, "Vary", "Accept-Encoding"));
  EXPECT_TRUE(has(zipped, "Cache-Control", "public, max-age=31536000, immutable"));
  // No compressed copy: the file itself, even for a gzip client.
  auto css = files_->Serve("/assets/style.css", true);
  EXPECT_EQ(css.body, "body{}");
  EXPECT_FALSE(has(css, "Content-Encoding", "gzip"));
  EXPECT_TRUE(has(files_->Serve("/", true), "Cache-Control", "no-cache"));
}

TEST(AcceptsGzip, ReadsAcceptEncodingAsHttpDefinesIt) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("identity, gzip;q=0.0"));
  EXPECT_FALSE(AcceptsGzip("x-gzip-not"));
}

}  // namespace
}  // namespace vigil::server

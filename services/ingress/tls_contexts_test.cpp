// The certificates on sofia's TLS contexts, re-read when the files change (issue 21 item 1).
// Certificates are made here, in a temporary folder, never committed.
#include "services/ingress/tls_contexts.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace callmesh::ingress {
namespace {

// A self-signed certificate for `name` (SAN DNS and CN) and its key, as PEM files.
void makeCertificate(const std::string& name, const std::string& cert_path,
                     const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), std::rand());
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  std::string san = "DNS:" + name;
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(cert, key, EVP_sha256());
  FILE* f = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

std::string leafName(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  char cn[256] = {0};
  if (cert) X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  return cn;
}

class TlsContextsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/callmesh-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    settings_.port = 5061;
    settings_.cert_file = dir_ + "/tls.crt";
    settings_.key_file = dir_ + "/tls.key";
    settings_.ca_file = dir_ + "/tls.crt";  // self-signed: its own CA
    makeCertificate("sbc-a.example.net", settings_.cert_file, settings_.key_file);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string dir_;
  config::TlsSettings settings_;
};

TEST_F(TlsContextsTest, CapturesContextsCreatedDuringTheCaptureOnly) {
  SSL_CTX* before = SSL_CTX_new(TLS_method());
  TlsContexts::beginCapture();
  SSL_CTX* during = SSL_CTX_new(TLS_method());
  SSL_CTX* freed = SSL_CTX_new(TLS_method());
  SSL_CTX_free(freed);
  auto captured = TlsContexts::finishCapture();
  SSL_CTX* after = SSL_CTX_new(TLS_method());
  ASSERT_EQ(captured.size(), 1u);
  EXPECT_EQ(captured[0], during);
  for (SSL_CTX* c : {before, during, after}) SSL_CTX_free(c);
}

TEST_F(TlsContextsTest, AppliesTheFilesAndReplacesThemOnChange) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_TRUE(applyTlsFiles(settings_, {ctx}).ok());
  EXPECT_EQ(leafName(ctx), "sbc-a.example.net");
  EXPECT_EQ(certificateSubjects(settings_.cert_file),
            (std::vector<std::string>{"sbc-a.example.net", "sbc-a.example.net"}));
  FileStamps stamps({settings_.cert_file, settings_.key_file, settings_.ca_file});
  EXPECT_FALSE(stamps.changed());  // the first look only records
  EXPECT_FALSE(stamps.changed());
  // A renewed certificate, as a Secret update writes it: new files in place of the old.
  makeCertificate("sbc-b.example.net", dir_ + "/new.crt", dir_ + "/new.key");
  std::rename((dir_ + "/new.crt").c_str(), settings_.cert_file.c_str());
  std::rename((dir_ + "/new.key").c_str(), settings_.key_file.c_str());
  EXPECT_TRUE(stamps.changed());
  ASSERT_TRUE(applyTlsFiles(settings_, {ctx}).ok());
  EXPECT_EQ(leafName(ctx), "sbc-b.example.net");
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);  // tls_client_cert: none
  SSL_CTX_free(ctx);
}

TEST_F(TlsContextsTest, MismatchedKeyIsRefusedAndTheOldCertificateStays) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_TRUE(applyTlsFiles(settings_, {ctx}).ok());
  makeCertificate("other.example.net", dir_ + "/other.crt", settings_.key_file);  // key replaced
  Status st = applyTlsFiles(settings_, {ctx});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().context, settings_.key_file);
  EXPECT_NE(st.error().message.find("the private key does not match the certificate"),
            std::string::npos)
      << st.error().message;
  EXPECT_EQ(leafName(ctx), "sbc-a.example.net");
  SSL_CTX_free(ctx);
}

TEST_F(TlsContextsTest, ClientCertificatesRequestedOrRequired) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  settings_.client_cert = "optional";
  ASSERT_TRUE(applyTlsFiles(settings_, {ctx}).ok());
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
  settings_.client_cert = "required";
  ASSERT_TRUE(applyTlsFiles(settings_, {ctx}).ok());
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  settings_.ca_file = dir_ + "/missing.crt";
  Status st = applyTlsFiles(settings_, {ctx});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().context, dir_ + "/missing.crt");
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace callmesh::ingress

#include "shared/config/agent_auth_settings.h"

namespace callmesh::config {

void readAgentAuth(YamlMap& m, const std::string& file_name, AgentAuthSettings& a) {
  std::string mode = m.string("agent_auth", "required");
  if (mode != "required" && mode != "off") m.error("agent_auth", "must be required or off");
  a.required = mode != "off";
  std::string creds = m.string("agent_credentials_file", "");
  if (!creds.empty()) a.credentials_file = resolveRelative(file_name, creds);
  a.realm = m.string("agent_auth_realm", a.realm);
  if (a.realm.empty() || a.realm.find_first_of("\":\r\n") != std::string::npos) {
    m.error("agent_auth_realm", "must be non-empty, without quotes, colons or line breaks");
  }
  a.nonce_lifetime_s =
      static_cast<int>(m.integer("agent_nonce_lifetime_s", a.nonce_lifetime_s, 10, 86400));
  std::string secret = m.string("agent_nonce_secret_file", "");
  if (!secret.empty()) a.nonce_secret_file = resolveRelative(file_name, secret);
  if (m.has("agent_auth_algorithms")) {
    a.algorithms = m.stringList("agent_auth_algorithms");
    if (a.algorithms.empty()) m.error("agent_auth_algorithms", "must list SHA-256 and/or MD5");
    for (const auto& name : a.algorithms) {
      if (name != "SHA-256" && name != "MD5") {
        m.error("agent_auth_algorithms", "'" + name + "' is not SHA-256 or MD5");
      }
    }
  }
}

}  // namespace callmesh::config

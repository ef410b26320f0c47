#include "server/codec/policy_codec.h"

#include <simdjson.h>

#include <cmath>
#include <map>

#include "server/codec/json_writer.h"

namespace vigil {

namespace {

// The "preset" field, or `default_preset` when it is absent or null.
Result<std::string> ParsePreset(simdjson::dom::object obj, const std::string& default_preset) {
  simdjson::dom::element el;
  if (obj.at_key("preset").get(el) != simdjson::SUCCESS || el.is_null()) return default_preset;
  std::string_view p;
  if (el.get_string().get(p) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: field \"preset\" must be a string");
  }
  std::string preset(p);
  if (!IsKnownPreset(preset)) {
    return Status::InvalidArgument("invalid policy: unknown preset \"" + preset +
                                   "\" (valid: vigil, mesedi)");
  }
  return preset;
}

// One field's value, of the type the field table declares for it.
Result<PolicyValue> ParseFieldValue(const PolicyField& field, const std::string& name,
                                    simdjson::dom::element v) {
  if (field.kind == PolicyFieldKind::kBool) {
    bool b;
    if (v.get_bool().get(b) != simdjson::SUCCESS) {
      return Status::InvalidArgument("invalid JSON: field \"" + name + "\" must be a boolean");
    }
    return PolicyValue(b);
  }
  if (field.kind == PolicyFieldKind::kInt) {
    int64_t n;
    if ((v.type() != simdjson::dom::element_type::INT64 &&
         v.type() != simdjson::dom::element_type::UINT64) ||
        v.get_int64().get(n) != simdjson::SUCCESS) {
      return Status::InvalidArgument("invalid JSON: field \"" + name + "\" must be an integer");
    }
    return PolicyValue(n);
  }
  double d;
  if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
    return Status::InvalidArgument("invalid JSON: field \"" + name + "\" must be a number");
  }
  return PolicyValue(d);
}

// Applies one section's fields to `policy`; unknown keys and nulls are ignored.
Status ApplySection(std::string_view section, simdjson::dom::object fields, Policy* policy) {
  for (auto [key, v] : fields) {
    const std::string name = std::string(section) + "." + std::string(key);
    const PolicyField* field = FindPolicyField(name);
    if (!field || v.is_null()) continue;
    auto pv = ParseFieldValue(*field, name, v);
    if (!pv.ok()) return pv.status();
    if (!field->InRange(pv.value()) || !field->set(*policy, pv.value())) {
      return Status::InvalidArgument("invalid policy: field \"" + name + "\" is out of range");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Policy> ParsePolicy(std::string_view body, const std::string& default_preset) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument("invalid JSON: empty body");
  }
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err) {
    return Status::InvalidArgument(err == simdjson::DEPTH_ERROR
                                       ? "invalid JSON: nesting deeper than 64"
                                       : std::string("invalid JSON: ") +
                                             simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: expected a JSON object");
  }
  auto preset = ParsePreset(obj, default_preset);
  if (!preset.ok()) return preset.status();
  Policy policy = PolicyPreset(preset.value());
  for (auto [section, value] : obj) {
    if (section == "preset") continue;
    simdjson::dom::object fields;
    if (value.get_object().get(fields) == simdjson::SUCCESS) {
      Status s = ApplySection(section, fields, &policy);
      if (!s.ok()) return s;
      continue;
    }
    if (value.is_null()) continue;
    // Only sections of the field table are objects; anything else is an unknown key (ignored).
    for (const PolicyField& f : PolicyFields()) {
      if (f.section == section) {
        return Status::InvalidArgument("invalid JSON: field \"" + std::string(section) +
                                       "\" must be an object");
      }
    }
  }
  if (auto bad = ValidatePolicy(policy)) {
    return Status::InvalidArgument("invalid policy: field \"" + *bad + "\" is out of range");
  }
  return policy;
}

std::string PolicyToJson(const Policy& policy) {
  JsonWriter w;
  w.BeginObject().Field("preset", policy.preset);
  std::string_view open_section;
  for (const PolicyField& f : PolicyFields()) {
    if (f.section != open_section) {
      if (!open_section.empty()) w.EndObject();
      w.Key(f.section).BeginObject();
      open_section = f.section;
    }
    const PolicyValue v = f.get(policy);
    w.Key(f.key);
    if (std::holds_alternative<bool>(v)) {
      w.Bool(std::get<bool>(v));
    } else if (std::holds_alternative<int64_t>(v)) {
      w.Int(std::get<int64_t>(v));
    } else {
      w.Double(std::get<double>(v));
    }
  }
  if (!open_section.empty()) w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace vigil

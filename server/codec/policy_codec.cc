#include "server/codec/policy_codec.h"

#include <simdjson.h>

#include <cmath>
#include <map>

#include "server/codec/json_writer.h"

namespace vigil {

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
  std::string preset = default_preset;
  simdjson::dom::element preset_el;
  if (obj.at_key("preset").get(preset_el) == simdjson::SUCCESS && !preset_el.is_null()) {
    std::string_view p;
    if (preset_el.get_string().get(p) != simdjson::SUCCESS) {
      return Status::InvalidArgument("invalid JSON: field \"preset\" must be a string");
    }
    preset = std::string(p);
    if (!IsKnownPreset(preset)) {
      return Status::InvalidArgument("invalid policy: unknown preset \"" + preset +
                                     "\" (valid: vigil, mesedi)");
    }
  }
  Policy policy = PolicyPreset(preset);
  for (auto [section, value] : obj) {
    if (section == "preset") continue;
    simdjson::dom::object fields;
    if (value.get_object().get(fields) != simdjson::SUCCESS) {
      if (value.is_null()) continue;
      // Only sections of the field table are objects; anything else is an unknown key (ignored).
      bool known = false;
      for (const PolicyField& f : PolicyFields()) known = known || f.section == section;
      if (known) {
        return Status::InvalidArgument("invalid JSON: field \"" + std::string(section) +
                                       "\" must be an object");
      }
      continue;
    }
    for (auto [key, v] : fields) {
      const std::string name = std::string(section) + "." + std::string(key);
      const PolicyField* field = FindPolicyField(name);
      if (!field || v.is_null()) continue;  // unknown keys are ignored (spec §2.2)
      PolicyValue pv;
      if (field->kind == PolicyFieldKind::kBool) {
        bool b;
        if (v.get_bool().get(b) != simdjson::SUCCESS) {
          return Status::InvalidArgument("invalid JSON: field \"" + name + "\" must be a boolean");
        }
        pv = b;
      } else if (field->kind == PolicyFieldKind::kInt) {
        int64_t n;
        if ((v.type() != simdjson::dom::element_type::INT64 &&
             v.type() != simdjson::dom::element_type::UINT64) ||
            v.get_int64().get(n) != simdjson::SUCCESS) {
          return Status::InvalidArgument("invalid JSON: field \"" + name + "\" must be an integer");
        }
        pv = n;
      } else {
        double d;
        if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
          return Status::InvalidArgument("invalid JSON: field \"" + name + "\" must be a number");
        }
        pv = d;
      }
      if (!field->InRange(pv) || !field->set(policy, pv)) {
        return Status::InvalidArgument("invalid policy: field \"" + name + "\" is out of range");
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

"""Rule packs: YAML files under the top-level ``rules/`` folder, loaded safely
and validated; errors name the file, the rule id and the field."""

-- One row per scored entity of the clickstream segmentation: persona, scoring columns, profile features
-- (docs/tables.md).
{{ segment_members('clickstream') }}

-- One row per scored entity of the customers segmentation: persona, scoring columns, profile features (docs/tables.md).
{{ segment_members('customers') }}

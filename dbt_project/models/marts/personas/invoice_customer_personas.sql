-- One row per scored entity of the invoices segmentation: persona, scoring columns, profile features (docs/tables.md).
{{ segment_members('invoices') }}

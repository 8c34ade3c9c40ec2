"""The insights report: one module, a section per segmentation of the registry, with its plots."""

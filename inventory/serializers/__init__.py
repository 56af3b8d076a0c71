"""DRF serializers of inventory by area: items, entities, inspectors."""

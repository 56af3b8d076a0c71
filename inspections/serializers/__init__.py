"""API shapes of inspections (``inspections.serializers.inspections``)."""

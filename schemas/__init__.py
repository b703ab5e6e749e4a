"""Event contracts: Avro schemas, the schema catalogue, the wire codec and validation."""

-- An exported table read back from its hive-partitioned parquet files ($glob: .../*/*/*.parquet).
-- The partition types are fixed so that an instrument named like a number stays text.
SELECT * FROM read_parquet(
    $glob, hive_partitioning = true, hive_types = {'instrument': VARCHAR, 'date': DATE}
)

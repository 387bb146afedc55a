-- The std of the level-1 and level-5 imbalance of one instrument over the dates $dates: the
-- replay observation's standardization (the train days', so held-out days are not peeked at).
SELECT
    coalesce(stddev_pop(coalesce(imbalance_1, 0)), 0) AS level_1,
    coalesce(stddev_pop(coalesce(imbalance_5, 0)), 0) AS level_5
FROM features.book_1s
WHERE instrument = $instrument AND list_contains($dates::DATE[], date)

-- The leaderboard view, best first.
SELECT * FROM evaluation.leaderboard ORDER BY rank, strategy;

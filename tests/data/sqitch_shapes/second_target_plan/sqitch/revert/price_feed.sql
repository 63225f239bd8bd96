-- Revert price_feed
BEGIN;
DROP TABLE price_feed;
COMMIT;

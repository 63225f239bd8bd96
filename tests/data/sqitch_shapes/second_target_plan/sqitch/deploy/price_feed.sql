-- Deploy price_feed
BEGIN;
CREATE TABLE price_feed (id integer);
COMMIT;

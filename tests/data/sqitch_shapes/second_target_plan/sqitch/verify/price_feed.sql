-- Verify price_feed
SELECT id FROM price_feed WHERE false;

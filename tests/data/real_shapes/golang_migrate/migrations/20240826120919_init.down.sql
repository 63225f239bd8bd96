-- reverse: create index "feature_namespace" to table: "features"
DROP INDEX "feature_namespace";
-- reverse: create "features" table
DROP TABLE "features";

-- modify "customers" table
-- atlas:nolint DS103
ALTER TABLE
    "customers" DROP COLUMN "key";

-- create index "customersubjects_subject_key" to table: "customer_subjects"
-- atlas:nolint MF101
CREATE UNIQUE INDEX "customersubjects_subject_key" ON "customer_subjects" ("subject_key");
import type { Knex } from 'knex';

interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/** Migrations live in code (not loose files) so they run the same under tsx, tests and a bundle. */
const migrations: Migration[] = [
  {
    name: '001_coupons_and_issues',
    async up(db) {
      await db.schema.createTable('coupons', (table) => {
        table.bigIncrements('id');
        table.string('title', 255).notNullable();
        table.integer('total_quantity').unsigned().notNullable();
        table.integer('issued_quantity').unsigned().notNullable().defaultTo(0);
        table.integer('discount_amount').unsigned().notNullable().defaultTo(0);
        table.integer('min_available_amount').unsigned().notNullable().defaultTo(0);
        table.datetime('issue_start_at', { precision: 3 }).nullable();
        table.datetime('issue_end_at', { precision: 3 }).nullable();
        table.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
        table.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
      });
      await db.schema.createTable('coupon_issues', (table) => {
        table.bigIncrements('id');
        table.bigInteger('coupon_id').unsigned().notNullable().references('id').inTable('coupons');
        table.bigInteger('user_id').unsigned().notNullable();
        table.datetime('issued_at', { precision: 3 }).notNullable();
        table.datetime('used_at', { precision: 3 }).nullable();
        // The database, not a lookup, is what makes "one coupon per user" true.
        table.unique(['coupon_id', 'user_id'], { indexName: 'uq_coupon_issues_coupon_user' });
      });
    },
    async down(db) {
      await db.schema.dropTable('coupon_issues');
      await db.schema.dropTable('coupons');
    },
  },
  {
    name: '002_coupon_version',
    async up(db) {
      // Bumped by every change, so a copy of a coupon's terms (the lua path's Redis hash) can
      // tell whether it is older than another copy and never overwrite newer terms.
      await db.schema.alterTable('coupons', (table) => {
        table.integer('version').unsigned().notNullable().defaultTo(1);
      });
    },
    async down(db) {
      await db.schema.alterTable('coupons', (table) => {
        table.dropColumn('version');
      });
    },
  },
  {
    name: '003_revocations_and_lock_fence',
    async up(db) {
      await db.schema.alterTable('coupons', (table) => {
        // Accepted requests the consumer could not honour: see coupon_revocations.
        table.integer('revoked_quantity').unsigned().notNullable().defaultTo(0);
        // The newest fencing token a fenced-lock transaction wrote; an older one is refused.
        table.bigInteger('lock_fence').unsigned().notNullable().defaultTo(0);
      });
      // Requests the lua path accepted (answered 202) that the consumer refused to write because
      // the coupon had no place left for them: Redis had admitted more than MySQL holds room for
      // (Redis lost part of its state). Kept so that "told yes, got nothing" is visible, never
      // an extra coupon.
      await db.schema.createTable('coupon_revocations', (table) => {
        table.bigIncrements('id');
        table.bigInteger('coupon_id').unsigned().notNullable().references('id').inTable('coupons');
        table.bigInteger('user_id').unsigned().notNullable();
        table.datetime('accepted_at', { precision: 3 }).notNullable();
        table.datetime('revoked_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
        table.string('reason', 255).notNullable();
        table.unique(['coupon_id', 'user_id'], { indexName: 'uq_coupon_revocations_coupon_user' });
      });
    },
    async down(db) {
      await db.schema.dropTable('coupon_revocations');
      await db.schema.alterTable('coupons', (table) => {
        table.dropColumn('lock_fence');
        table.dropColumn('revoked_quantity');
      });
    },
  },
  {
    name: '004_issue_version',
    async up(db) {
      // The optimistic strategy's compare-and-set: bumped by every place it takes. Apart from
      // `version`, which counts changes to the coupon's terms (the lua path's copies), so that
      // neither moves the other.
      await db.schema.alterTable('coupons', (table) => {
        table.integer('issue_version').unsigned().notNullable().defaultTo(0);
      });
    },
    async down(db) {
      await db.schema.alterTable('coupons', (table) => {
        table.dropColumn('issue_version');
      });
    },
  },
  {
    name: '005_stock_leases',
    async up(db) {
      // leased-stock: places a server process took from a coupon's count (issued_quantity) in one
      // block, to sell without asking for the count again. Every row sold under a block names it
      // (coupon_issues.lease_id), so what a block sold is counted, not remembered by its process.
      await db.schema.createTable('coupon_stock_leases', (table) => {
        table.bigIncrements('id');
        table.bigInteger('coupon_id').unsigned().notNullable().references('id').inTable('coupons');
        // host:pid:random of the process that took it, for the operator (and the fault bench) to find.
        table.string('owner', 128).notNullable();
        table.integer('granted').unsigned().notNullable();
        // The coupon's version when the block was granted: a change of the coupon ends every block.
        table.integer('coupon_version').unsigned().notNullable();
        table.datetime('granted_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
        // By MySQL's clock, as every check of it is: no process's clock decides.
        table.datetime('expires_at', { precision: 3 }).notNullable();
        // Set once, when the block ends and its unsold places go back to the coupon's count.
        table.datetime('settled_at', { precision: 3 }).nullable();
        table.integer('sold').unsigned().nullable();
        // settled_at first in both: an index that began with coupon_id would be the one behind the
        // foreign key, and ending a block (setting settled_at) would then check the key again, with
        // a shared lock on the coupon's row just before the block's ending writes to that row.
        table.index(['settled_at', 'coupon_id'], 'ix_coupon_stock_leases_open_coupon');
        table.index(['settled_at', 'expires_at'], 'ix_coupon_stock_leases_open_expiry');
      });
      await db.schema.alterTable('coupon_issues', (table) => {
        table.bigInteger('lease_id').unsigned().nullable().references('id').inTable('coupon_stock_leases');
      });
    },
    async down(db) {
      await db.schema.alterTable('coupon_issues', (table) => {
        table.dropForeign(['lease_id']);
        table.dropColumn('lease_id');
      });
      await db.schema.dropTable('coupon_stock_leases');
    },
  },
  {
    name: '006_coupon_units',
    async up(db) {
      // skip-locked: one row per place not yet sold, created a batch at a time as they run out
      // (never all of a large coupon at once), deleted by the request that sells it. Numbered in
      // the order they were created, never reused, so each batch is a range of the primary key.
      // No foreign key: its check would lock the coupon row as a batch is inserted.
      await db.schema.createTable('coupon_units', (table) => {
        table.bigInteger('coupon_id').unsigned().notNullable();
        table.bigInteger('unit_no').unsigned().notNullable();
        // The coupon's version when the unit was created: a unit of older terms is never sold.
        table.integer('coupon_version').unsigned().notNullable();
        table.primary(['coupon_id', 'unit_no']);
      });
      await db.schema.alterTable('coupons', (table) => {
        // Units ever created for the coupon: the next batch starts at this number.
        table.bigInteger('units_created').unsigned().notNullable().defaultTo(0);
      });
    },
    async down(db) {
      await db.schema.alterTable('coupons', (table) => {
        table.dropColumn('units_created');
      });
      await db.schema.dropTable('coupon_units');
    },
  },
];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

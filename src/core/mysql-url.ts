import { DATABASE_NAME, MYSQL_URL_FORM } from './config-defaults.js';

/** Where MYSQL_URL points. Apart from db.ts, so that reading a URL loads no driver. */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** MYSQL_URL's parts; a database name the lab cannot use unquoted is refused. */
export function parseMysqlUrl(url: string): MysqlTarget {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!DATABASE_NAME.test(database)) {
    throw new Error(`MYSQL_URL must name a database of letters, digits and _: ${MYSQL_URL_FORM} (got "${database}")`);
  }
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

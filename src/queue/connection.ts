import { Redis } from "ioredis";
import { InputError } from "../errors.js";

/** Env var that holds the Redis password when the URL has none, so that it never shows in a process list. */
export const REDIS_PASSWORD_ENV = "NOISELAB_REDIS_PASSWORD";
/** Env var read when `--queue` is not given a URL. */
export const REDIS_URL_ENV = "NOISELAB_REDIS_URL";
/** Prefix of every key noiselab writes in Redis. */
export const KEY_PREFIX = "noiselab";

const CONNECT_TIMEOUT_MS = 5000;

/** A Redis server to reach: the URL as given (credentials inside) and how to show it in messages (without them). */
export interface RedisTarget {
  url: string;
  shown: string;
}

/**
 * Checks a `redis://[user:password@]host:port[/db]` (or `rediss://`) URL. "env" takes the URL from
 * NOISELAB_REDIS_URL. Bad input is an InputError that never repeats the password.
 */
export function parseRedisUrl(value: string, option = "--queue"): RedisTarget {
  const raw = value === "env" ? process.env[REDIS_URL_ENV] : value;
  if (raw === undefined || raw === "") throw new InputError(`${option} env: ${REDIS_URL_ENV} is not set`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not repeated: it may hold a password that the mask cannot find in something that is not a URL.
    throw new InputError(`${option} must be a URL like redis://HOST:PORT[/DB]; the value given is not a URL`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new InputError(`${option} must start with redis:// or rediss://, got "${maskUrl(raw)}"`);
  if (url.hostname === "") throw new InputError(`${option} names no host: "${maskUrl(raw)}"`);
  if (!/^(\/\d*)?$/.test(url.pathname)) throw new InputError(`${option}: the database must be a number (redis://HOST:PORT/DB), got "${url.pathname}"`);
  return { url: raw, shown: maskUrl(raw) };
}

/** The URL with its password replaced by "***", for logs and errors. */
export function maskUrl(text: string): string {
  return text.replace(/([a-z][\w+.-]*:\/\/[^:@/\s]*:)[^@/\s]*@/gi, "$1***@");
}

/** A connection as BullMQ needs it (commands wait for a reconnect instead of failing). */
export function connect(target: RedisTarget): Redis {
  const client = new Redis(target.url, {
    maxRetriesPerRequest: null,
    password: process.env[REDIS_PASSWORD_ENV] || undefined,
    connectTimeout: CONNECT_TIMEOUT_MS,
    lazyConnect: true,
  });
  // Errors surface through the commands; ioredis would print each reconnect attempt's error otherwise.
  client.on("error", () => {});
  return client;
}

/** Opens a connection and checks that the server answers, as an InputError naming the (masked) URL if not. */
export async function connectChecked(target: RedisTarget): Promise<Redis> {
  const client = connect(target);
  try {
    await withTimeout(client.connect().then(() => client.ping()), CONNECT_TIMEOUT_MS);
  } catch (err) {
    client.disconnect();
    throw new InputError(`cannot reach Redis at ${target.shown}: ${maskUrl((err as Error).message)}`);
  }
  return client;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Name of the BullMQ queue for runs on one kind of device: a worker listens only on the kinds it has. */
export function queueName(kind: string): string {
  return `units-${kind}`;
}

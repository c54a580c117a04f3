/** The versions the server reports (INFO's Server section, HELLO). */

/** What INFO SERVER reports as redis_version (redis-cli parses it; keep it plain x.y.z). */
export const REDIS_VERSION = '7.0.0';
export const RAFTKV_VERSION = '0.1.0';

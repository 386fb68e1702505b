/** ioredis's own slot function (CRC16 of the key's hash tag, modulo 16,384), as Redis Cluster computes it. */
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string): number;
}

export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.crgateServices ?? []).map((service) => service.stop()));
}

/**
 * Log in to the Django admin as a console user and screenshot the operator dashboard with the
 * system's Chromium (playwright-core downloads no browser).
 *
 *   ADMIN_URL=http://127.0.0.1:8000 ADMIN_USER=olivia ADMIN_PASSWORD=… OUT=../../docs/img/dashboard.png \
 *     npm run screenshot
 */
import { chromium } from "playwright-core";

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const base = env("ADMIN_URL").replace(/\/+$/, "");
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM_PATH", "/usr/bin/chromium"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${base}/admin/login/?next=/admin/console/`);
    await page.fill("#id_username", env("ADMIN_USER"));
    await page.fill("#id_password", env("ADMIN_PASSWORD"));
    await Promise.all([page.waitForURL(`${base}/admin/console/`), page.click("input[type=submit]")]);
    await page.waitForSelector("#operator-dashboard");
    await page.screenshot({ path: env("OUT", "dashboard.png"), fullPage: true });
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import { existsSync } from 'node:fs';

/** Where the PDF is printed from: Debian's Chromium, unless PORTCULLIS_CHROMIUM says otherwise. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Prints HTML to PDF with headless Chromium through playwright-core, loaded only when asked for
 * (it is a devDependency). Returns the PDF, or a sentence saying what is missing.
 *
 * @example
 * const pdf = await htmlToPdf(html);
 * if (typeof pdf === 'string') console.error(pdf); else writeFileSync('report.pdf', pdf);
 */
export async function htmlToPdf(html: string, executable = process.env.PORTCULLIS_CHROMIUM ?? DEFAULT_CHROMIUM): Promise<Buffer | string> {
  if (!existsSync(executable)) return `PDF needs Chromium at ${executable} (apt-get install chromium, or set PORTCULLIS_CHROMIUM)`;
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    return 'PDF needs the playwright-core package (npm install playwright-core)';
  }
  const browser = await playwright.chromium.launch({ executablePath: executable, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    // The page loads nothing: no network is needed, and none is allowed.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', landscape: true, printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } });
  } finally {
    await browser.close();
  }
}

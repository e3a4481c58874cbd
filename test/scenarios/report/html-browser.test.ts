// The HTML report opened in headless Chromium (the Debian package, driven by playwright-core): it
// renders its lanes, labels and marks, its script works, and it loads nothing and logs no error.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { renderHtmlReport } from '../../../scenarios/report/html.ts'
import { buildLaneModel } from '../../../scenarios/report/lanes.ts'
import { catalogue } from './report-fixture.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.warn(`skipping the HTML report's browser test: ${CHROMIUM} is absent (apt-get install -y chromium)`)

describe('the HTML report in Chromium', () => {
  it.skipIf(!hasChromium)('shows a lane per instance and VMM with their names, links marks to the event table, and logs no error', async () => {
    const report = await catalogue()
    const html = renderHtmlReport(report)
    const userDataDir = mkdtempSync(join(tmpdir(), 'report-chromium-'))
    const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 900 } })
    try {
      const page = context.pages()[0] ?? (await context.newPage())
      const problems: string[] = []
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`)
      })
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      await page.route('**/*', (route) => {
        problems.push(`request: ${route.request().url()}`)
        return route.abort()
      })

      await page.setContent(html, { waitUntil: 'load' })
      const laneCounts = await Promise.all(report.scenarios.map((_, i) => page.locator(`#scenario-${i + 1} .lane-label`).count()))
      const dbVisible = await page.locator('#scenario-1 .lane-label .name', { hasText: /^db1$/ }).isVisible()
      const webVmmVisible = await page.locator('#scenario-2 .lane-label .name', { hasText: 'web · vmm' }).first().isVisible()
      const runningVisible = await page.locator('#scenario-1 text', { hasText: /^running g\d+$/ }).first().isVisible()
      const tableOpenBefore = await page.locator('#scenario-2 details.events').getAttribute('open')
      await page.locator('#scenario-2 [data-lane^="vmm:"] g.mk[data-seq]').first().click()
      const highlighted = page.locator('#scenario-2 tr.hl')
      const highlightedVisible = await highlighted.isVisible()
      await page.screenshot({ path: join(tmpdir(), 'report.png'), fullPage: true })

      expect(laneCounts).toEqual(report.scenarios.map((run) => buildLaneModel(run).lanes.length))
      expect([dbVisible, webVmmVisible, runningVisible]).toEqual([true, true, true])
      expect([tableOpenBefore, highlightedVisible, await highlighted.count()]).toEqual([null, true, 1])
      expect(problems).toEqual([])
    } finally {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    }
  }, 60_000)
})

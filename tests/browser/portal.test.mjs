// SPDX-License-Identifier: MIT
// What a person sees in the portal, in Debian's chromium (headless),
// driven by playwright-core: sign in, read, download, reply, forward; a
// hostile HTML message whose canaries prove that no script ran and no
// request left the portal; axe-core finds no serious or critical
// accessibility problem.  Started by run.sh, which sets the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const BASE = process.env.SP_BASE;
const T = process.env.SP_T;
const CANARY_PORT = Number(process.env.SP_CANARY_PORT || 21090);
const MAILDIR = path.join(T, 'mail');

let browser;
let canary;
const canaryHits = [];

before(async () => {
	canary = http.createServer((req, res) => {
		canaryHits.push(req.url);
		res.end('');
	});
	await new Promise((ok) => canary.listen(CANARY_PORT, '127.0.0.1', ok));
	browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--no-first-run', '--disable-dev-shm-usage'],
	});
});

after(async () => {
	await browser?.close();
	canary?.close();
});

function mailsTo(addr) {
	return fs.readdirSync(MAILDIR).filter((f) => f.endsWith('.env'))
		.filter((f) => fs.readFileSync(path.join(MAILDIR, f), 'utf8')
			.split('\n').includes('to ' + addr))
		.sort();
}

async function waitMail(addr, count) {
	for (let i = 0; i < 100; i++) {
		const m = mailsTo(addr);
		if (m.length >= count)
			return fs.readFileSync(path.join(MAILDIR,
				m[m.length - 1].replace('.env', '.eml')), 'utf8');
		await new Promise((ok) => setTimeout(ok, 100));
	}
	throw new Error('no mail to ' + addr);
}

// A new browser context whose requests are all recorded: anything that
// is not the portal itself is a leak.
async function newPage() {
	const ctx = await browser.newContext({ acceptDownloads: true });
	const page = await ctx.newPage();
	const outside = [];
	const dialogs = [];
	ctx.on('request', (r) => {
		const u = r.url();
		if (!u.startsWith(BASE + '/') && !u.startsWith('data:') &&
		    u !== 'about:blank' && u !== 'about:srcdoc')
			outside.push(u);
	});
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
	return { ctx, page, outside, dialogs };
}

async function signIn(page, id, addr) {
	const before = mailsTo(addr).length;
	await page.goto(`${BASE}/m/${id}`);
	await page.getByLabel('Your mail address').fill(addr);
	await page.getByRole('button', { name: 'Send me a code' }).click();
	await page.getByLabel('Code from the mail').waitFor();
	const mail = await waitMail(addr, before + 1);
	const code = mail.match(/protected message: (\d{8})/)[1];
	await page.getByLabel('Code from the mail').fill(code);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(`${BASE}/m/${id}/read`);
}

async function axeCheck(page, where) {
	const res = await new AxeBuilder({ page }).analyze();
	const bad = res.violations.filter((v) =>
		v.impact === 'serious' || v.impact === 'critical');
	assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), [],
		`axe on ${where}`);
}

test('landing and code pages are accessible', async () => {
	const { ctx, page, outside } = await newPage();
	await page.goto(`${BASE}/m/${process.env.PLAIN_ID}`);
	await assert.doesNotReject(page.getByText(process.env.PLAIN_REF).first().waitFor());
	await axeCheck(page, 'landing');
	await page.getByLabel('Your mail address').fill('nobody@else.test');
	await page.getByRole('button', { name: 'Send me a code' }).click();
	await page.getByLabel('Code from the mail').waitFor();
	await axeCheck(page, 'code page');
	assert.deepEqual(outside, []);
	await ctx.close();
});

test('sign in, read, download, screenshot', async () => {
	const { ctx, page, outside } = await newPage();
	await signIn(page, process.env.PLAIN_ID, 'bob@rcpt.test');
	await page.getByRole('heading', { name: 'Contract draft for review' }).waitFor();
	assert.match(await page.locator('pre.body-text').innerText(), /section 4/);
	await axeCheck(page, 'read page');
	await page.screenshot({ path: path.join(T, 'read.png'), fullPage: true });
	if (process.env.SP_SCREENSHOT)
		fs.copyFileSync(path.join(T, 'read.png'), process.env.SP_SCREENSHOT);
	const [dl] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('link', { name: 'draft.txt' }).click(),
	]);
	assert.equal(dl.suggestedFilename(), 'draft.txt');
	const file = await dl.path();
	assert.match(fs.readFileSync(file, 'utf8'), /DRAFT CONTRACT TEXT/);
	assert.deepEqual(outside, []);
	await ctx.close();
});

test('reply and forward are sealed and announced', async () => {
	const { ctx, page, outside } = await newPage();
	await signIn(page, process.env.PLAIN_ID, 'bob@rcpt.test');
	const before = mailsTo('alice@sender.test').length;
	await page.getByLabel('Your message').fill('Section 4 looks fine to me.');
	await page.getByRole('button', { name: 'Reply', exact: true }).click();
	await page.getByRole('heading', { name: 'Sent' }).waitFor();
	const note = await waitMail('alice@sender.test', before + 1);
	assert.doesNotMatch(note, /Section 4 looks fine/);
	const link = note.match(new RegExp(BASE.replace(/[.]/g, '\\.') +
		'/m/([A-Za-z0-9_-]{22})'));
	assert.ok(link, 'the notification links to the reply');

	await page.goto(`${BASE}/m/${process.env.PLAIN_ID}/read`);
	await page.getByLabel(/Forward to/).fill('judy@else.test');
	await page.getByLabel('Your message').fill('FYI');
	await page.getByRole('button', { name: 'Forward' }).click();
	await page.getByRole('heading', { name: 'Sent' }).waitFor();
	await waitMail('judy@else.test', 1);

	// the original sender reads the reply through the same sign-in
	const alice = await newPage();
	await signIn(alice.page, link[1], 'alice@sender.test');
	await alice.page.getByText('Section 4 looks fine to me.').waitFor();
	assert.deepEqual(outside.concat(alice.outside), []);
	await alice.ctx.close();
	await ctx.close();
});

test('hostile HTML: no script runs, no request leaves the portal', async () => {
	const { ctx, page, outside, dialogs } = await newPage();
	await signIn(page, process.env.HOSTILE_ID, 'bob@rcpt.test');
	const frame = page.frameLocator('iframe.body-html');
	const shown = await frame.getByText('Invoice 4711')
		.waitFor({ timeout: 10000 }).then(() => true, () => false);
	// try the things a person might click
	for (const text of ['Click for details', 'data link', 'ping link',
		'Submit form']) {
		const el = frame.getByText(text, { exact: true });
		if (await el.count().catch(() => 0))
			await el.first().click({ timeout: 2000 }).catch(() => {});
	}
	await page.waitForTimeout(1500);
	assert.deepEqual(outside, [], 'requests that left the portal');
	assert.deepEqual(canaryHits, [], 'canary endpoint hits');
	assert.deepEqual(dialogs, []);
	assert.notEqual(await page.title(), 'pwned');
	assert.ok(shown, 'the sanitized body is shown in its frame');
	// the inline cid: image is shown, from a data: URL
	assert.match(await frame.locator('img[alt="inline logo"]')
		.getAttribute('src') ?? '', /^data:image\/png;base64,/);
	await page.getByText(/Remote content was blocked/).waitFor();
	// the subject's markup is shown as text, not run
	await page.getByRole('heading', { name: /<script>/ }).waitFor();
	await ctx.close();
});

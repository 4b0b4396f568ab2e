// SPDX-License-Identifier: MIT
// Revocation and expiry as a recipient sees them, in Debian's chromium
// (headless) driven by playwright-core: a recipient is signed in and
// reading; the sender (in their own browser, through /sent) or the admin
// (sealpostctl) withdraws the message or ends it; the recipient's next
// page load shows the withdrawn or expired page.  Started by
// sender_run.sh, which seals the messages and sets the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const BASE = process.env.SP_BASE;
const T = process.env.SP_T;
const MAILDIR = path.join(T, 'mail');

let browser;

before(async () => {
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
});

function mailsTo(addr) {
	return fs.readdirSync(MAILDIR).filter((f) => f.endsWith('.env'))
		.filter((f) => fs.readFileSync(path.join(MAILDIR, f), 'utf8')
			.toLowerCase().split('\n').includes('to ' + addr))
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

// Every person gets a browser context of their own (their own cookies).
async function person() {
	const ctx = await browser.newContext();
	const page = await ctx.newPage();
	return { ctx, page };
}

async function codeFlow(page, addr, pattern) {
	const before = mailsTo(addr).length;
	await page.getByLabel('Your mail address').fill(addr);
	await page.getByRole('button', { name: 'Send me a code' }).click();
	await page.getByLabel('Code from the mail').waitFor();
	const mail = await waitMail(addr, before + 1);
	await page.getByLabel('Code from the mail').fill(mail.match(pattern)[1]);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

// A recipient signs in to message id and is reading it.
async function reader(id, addr, subject) {
	const p = await person();
	await p.page.goto(`${BASE}/m/${id}`);
	await codeFlow(p.page, addr, /protected message: (\d{8})/);
	await p.page.waitForURL(`${BASE}/m/${id}/read`);
	await p.page.getByRole('heading', { name: subject }).waitFor();
	return p;
}

// The sender signs in to /sent and sees their list.
async function sender(addr) {
	const p = await person();
	await p.page.goto(`${BASE}/sent`);
	await codeFlow(p.page, addr, /messages you sent: (\d{8})/);
	await p.page.waitForURL(`${BASE}/sent`);
	await p.page.getByRole('heading', { name: 'Messages you sent' }).waitFor();
	return p;
}

// The recipient's next page load: status and the heading shown.
async function nextLoad(page, id) {
	const res = await page.goto(`${BASE}/m/${id}/read`);
	return { status: res.status(), heading: await page.locator('h1').first().innerText() };
}

function sealpostctl(...args) {
	return execFileSync(path.join(process.env.SP_BUILD, 'bin', 'sealpostctl'),
		['-c', path.join(T, 'sealpost.conf'), ...args], { encoding: 'utf8' });
}

function msgCard(page, id) {
	return page.locator(`section#m-${id}`);
}

test('the sender withdraws a message: the reader sees it at once', async () => {
	const id = process.env.ALL_ID;
	const bob = await reader(id, 'bob@rcpt.test', 'Withdrawn for all');
	const alice = await sender('alice@sender.test');
	const card = msgCard(alice.page, id);
	assert.match(await card.locator('tr[data-rcpt="bob@rcpt.test"]').innerText(),
		/1 view/, 'the sender sees that bob opened it');
	const res = await new AxeBuilder({ page: alice.page }).analyze();
	assert.deepEqual(res.violations.filter((v) => v.impact === 'serious' ||
		v.impact === 'critical').map((v) => `${v.id}: ${v.help}`), [],
		'axe on the sent list');
	await alice.page.screenshot({ path: path.join(T, 'sent.png'), fullPage: true });
	await card.getByRole('button', { name: 'Withdraw for everyone' }).click();
	await alice.page.waitForURL(`${BASE}/sent#m-${id}`);
	assert.equal(await msgCard(alice.page, id).locator('dd.state').innerText(),
		'withdrawn');

	const got = await nextLoad(bob.page, id);
	assert.deepEqual(got, { status: 410, heading: 'Message withdrawn' });
	await bob.page.getByText(/The sender withdrew this message on/).waitFor();
	await bob.page.screenshot({ path: path.join(T, 'withdrawn.png'), fullPage: true });
	await bob.ctx.close();
	await alice.ctx.close();
});

test('withdrawn for one recipient: the other still reads', async () => {
	const id = process.env.ONE_ID;
	const bob = await reader(id, 'bob@rcpt.test', 'Withdrawn for one');
	const carol = await reader(id, 'carol@rcpt.test', 'Withdrawn for one');
	const alice = await sender('alice@sender.test');
	await msgCard(alice.page, id)
		.getByRole('button', { name: 'Withdraw for carol@rcpt.test' }).click();
	await alice.page.waitForURL(`${BASE}/sent#m-${id}`);

	assert.deepEqual(await nextLoad(carol.page, id),
		{ status: 410, heading: 'Message withdrawn' });
	await carol.page.getByText(/withdrew this message for carol@rcpt\.test/).waitFor();
	assert.deepEqual(await nextLoad(bob.page, id),
		{ status: 200, heading: 'Withdrawn for one' });
	for (const p of [bob, carol, alice])
		await p.ctx.close();
});

test('the sender ends the expiry now: the reader sees the expired page', async () => {
	const id = process.env.EXP_ID;
	const dave = await reader(id, 'dave@rcpt.test', 'Expired by the sender');
	const alice = await sender('alice@sender.test');
	const card = msgCard(alice.page, id);
	await card.getByLabel(/New expiry/).fill('now');
	await card.getByRole('button', { name: 'Change expiry' }).click();
	await alice.page.waitForURL(`${BASE}/sent#m-${id}`);
	assert.equal(await msgCard(alice.page, id).locator('dd.state').innerText(),
		'expired');

	assert.deepEqual(await nextLoad(dave.page, id),
		{ status: 410, heading: 'Message expired' });
	await dave.page.getByText(/This message expired on/).waitFor();
	await dave.page.screenshot({ path: path.join(T, 'expired.png'), fullPage: true });
	await dave.ctx.close();
	await alice.ctx.close();
});

test('the admin revokes or expires: the reader sees it at the next click', async () => {
	const rev = process.env.ADMREV_ID, exp = process.env.ADMEXP_ID;
	const erin = await reader(rev, 'erin@rcpt.test', 'Revoked by the admin');
	sealpostctl('revoke', rev);
	// a click on a link of the page already shown: its next request
	await erin.page.getByRole('link', { name: 'Print view' }).click();
	await erin.page.getByRole('heading', { name: 'Message withdrawn' }).waitFor();

	const erin2 = await reader(exp, 'erin@rcpt.test', 'Expired by the admin');
	sealpostctl('expire', exp, 'now');
	await erin2.page.reload();
	await erin2.page.getByRole('heading', { name: 'Message expired' }).waitFor();
	await erin.ctx.close();
	await erin2.ctx.close();
});

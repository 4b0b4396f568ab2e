/* SPDX-License-Identifier: MIT */
/*
 * portal_page: HTML pages from templates_dir.
 *
 * A page is templates_dir/portal_NAME.html rendered with the handler's
 * variables, then put inside portal_layout.html (as {{{content}}}) with
 * the title and the admin's branding.  Every value is HTML-escaped by the
 * renderer; only the rendered page itself goes in raw.  When a template
 * is missing or broken the answer is a plain 500 page, and the reason is
 * logged (it names the template, never a value).
 */
#include "portal.h"

#include <stdlib.h>
#include <string.h>

#include "sp_log.h"
#include "sp_template.h"

#define PAGE_VARS_MAX 48

/* The branding variables plus the handler's, into out; returns how
 * many. */
static size_t
page_vars(struct req *r, const struct sp_tvar *vars, size_t nvars,
    struct sp_tvar *out)
{
	const struct sp_config *c = r->p->cfg;
	size_t n = 0, i;

	out[n++] = (struct sp_tvar){ "brand_name",
		c->brand_name ? c->brand_name : "sealpost" };
	out[n++] = (struct sp_tvar){ "brand_color",
		c->brand_color ? c->brand_color : "#1d4f91" };
	out[n++] = (struct sp_tvar){ "brand_logo_url", c->brand_logo_url };
	out[n++] =
	    (struct sp_tvar){ "brand_privacy_url", c->brand_privacy_url };
	out[n++] = (struct sp_tvar){ "brand_footer", c->brand_footer };
	for (i = 0; i < nvars && n < PAGE_VARS_MAX - 2; i++)
		out[n++] = vars[i];
	return n;
}

static void
page_failed(struct req *r, const char *name, const struct sp_error *err)
{
	sp_log(LOG_ERR, r->route.id[0] ? r->route.id : "-",
	    "action=page-failed template=%s reason=\"%s\"", name, err->msg);
	sp_hbuf_cleanup(&r->body);
	sp_hbuf_init(&r->body, PORTAL_PAGE_MAX);
	r->status = 500;
	r->content_type = "text/plain; charset=utf-8";
	sp_hbuf_adds(&r->body, "The portal could not show this page.\n");
}

void
portal_page(struct req *r, int status, const char *name, const char *title,
    const struct sp_tvar *vars, size_t nvars)
{
	struct sp_tvar all[PAGE_VARS_MAX];
	const char *dir = r->p->cfg->templates_dir;
	char file[96], *content = NULL, *page = NULL;
	size_t n, clen, plen;
	struct sp_error err;

	snprintf(file, sizeof(file), "portal_%s.html", name);
	n = page_vars(r, vars, nvars, all);
	if (sp_template_render_cached(
	        dir, file, all, n, &content, &clen, &err) != SP_OK) {
		page_failed(r, file, &err);
		return;
	}
	all[n++] = (struct sp_tvar){ "title", title };
	all[n++] = (struct sp_tvar){ "content", content };
	if (sp_template_render_cached(dir, "portal_layout.html", all, n, &page,
	        &plen, &err) != SP_OK) {
		page_failed(r, "portal_layout.html", &err);
		goto out;
	}
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
	sp_hbuf_add(&r->body, page, plen);
out:
	free(content);
	free(page);
}

void
portal_notice(struct req *r, int status, const char *title, const char *text)
{
	const struct sp_tvar vars[] = {
		{ "heading", title },
		{ "text", text },
	};

	portal_page(r, status, "notice", title, vars, 2);
}

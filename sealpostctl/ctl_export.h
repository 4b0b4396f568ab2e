/* SPDX-License-Identifier: MIT */
/*
 * ctl_export.h: the "export" command of sealpostctl.
 * argv[0] is "export"; returns the exit status.
 */
#ifndef SP_CTL_EXPORT_H
#define SP_CTL_EXPORT_H

#include "sp_config.h"

int ctl_export(const struct sp_config *cfg, int argc, char **argv);

#endif

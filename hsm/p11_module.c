/*
 * Loading and unloading the PKCS#11 module; see p11.h.
 *
 * C_Initialize always gets CKF_OS_LOCKING_OK: with NULL arguments SoftHSM
 * turns its own locks off, and libp11 (which shares this module instance in
 * the same process) assumes locking is on.
 */
#include "p11.h"

#include <dlfcn.h>
#include <string.h>
#include "compiler.h"

#define RV(x) { x, #x }

static const struct {
	CK_RV rv;
	const char *name;
} p11_rv_names[] = {
	RV(CKR_OK), RV(CKR_HOST_MEMORY), RV(CKR_SLOT_ID_INVALID), RV(CKR_GENERAL_ERROR),
	RV(CKR_FUNCTION_FAILED), RV(CKR_ARGUMENTS_BAD), RV(CKR_ATTRIBUTE_READ_ONLY),
	RV(CKR_ATTRIBUTE_SENSITIVE), RV(CKR_ATTRIBUTE_TYPE_INVALID),
	RV(CKR_ATTRIBUTE_VALUE_INVALID), RV(CKR_ACTION_PROHIBITED), RV(CKR_DATA_INVALID),
	RV(CKR_DATA_LEN_RANGE), RV(CKR_DEVICE_ERROR), RV(CKR_DEVICE_MEMORY),
	RV(CKR_DEVICE_REMOVED), RV(CKR_ENCRYPTED_DATA_INVALID),
	RV(CKR_ENCRYPTED_DATA_LEN_RANGE), RV(CKR_FUNCTION_NOT_SUPPORTED),
	RV(CKR_KEY_HANDLE_INVALID), RV(CKR_KEY_TYPE_INCONSISTENT),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED), RV(CKR_KEY_NOT_WRAPPABLE),
	RV(CKR_KEY_UNEXTRACTABLE), RV(CKR_MECHANISM_INVALID), RV(CKR_MECHANISM_PARAM_INVALID),
	RV(CKR_OBJECT_HANDLE_INVALID), RV(CKR_OPERATION_ACTIVE),
	RV(CKR_OPERATION_NOT_INITIALIZED), RV(CKR_PIN_INCORRECT), RV(CKR_PIN_INVALID),
	RV(CKR_PIN_LEN_RANGE), RV(CKR_PIN_EXPIRED), RV(CKR_PIN_LOCKED),
	RV(CKR_SESSION_CLOSED), RV(CKR_SESSION_COUNT), RV(CKR_SESSION_HANDLE_INVALID),
	RV(CKR_SESSION_READ_ONLY), RV(CKR_SESSION_EXISTS), RV(CKR_SESSION_READ_WRITE_SO_EXISTS),
	RV(CKR_TEMPLATE_INCOMPLETE), RV(CKR_TEMPLATE_INCONSISTENT), RV(CKR_TOKEN_NOT_PRESENT),
	RV(CKR_TOKEN_NOT_RECOGNIZED), RV(CKR_TOKEN_WRITE_PROTECTED),
	RV(CKR_USER_ALREADY_LOGGED_IN), RV(CKR_USER_NOT_LOGGED_IN),
	RV(CKR_USER_PIN_NOT_INITIALIZED), RV(CKR_USER_TYPE_INVALID),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), RV(CKR_WRAPPED_KEY_INVALID),
	RV(CKR_WRAPPING_KEY_HANDLE_INVALID), RV(CKR_RANDOM_NO_RNG), RV(CKR_DOMAIN_PARAMS_INVALID),
	RV(CKR_CURVE_NOT_SUPPORTED), RV(CKR_BUFFER_TOO_SMALL),
	RV(CKR_CRYPTOKI_NOT_INITIALIZED), RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
};

const char *
p11_rv_name(CK_RV rv)
{
	size_t i;

	for (i = 0; i < BOS_ARRAY_LEN(p11_rv_names); i++) {
		if (p11_rv_names[i].rv == rv)
			return p11_rv_names[i].name;
	}
	return "CKR_?";
}

static int
p11_dlopen(struct p11 *p, const char *module, struct hsm_fail *f)
{
	CK_C_GetFunctionList get_list;
	const char *why;
	void *sym;
	CK_RV rv;

	/* RTLD_NOW: a module with unresolved symbols fails here, not mid-request. */
	if ((p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		return hsm_fail_set(f, HSM_ERR_MODULE, "cannot load PKCS#11 module %s: %s",
		    module, why != NULL ? why : "unknown error");
	}
	/* ISO C has no cast from object to function pointer; POSIX allows a copy. */
	if ((sym = dlsym(p->dl, "C_GetFunctionList")) == NULL)
		return hsm_fail_set(f, HSM_ERR_MODULE, "%s is not a PKCS#11 module "
		    "(no C_GetFunctionList)", module);
	memcpy(&get_list, &sym, sizeof(get_list));
	if ((rv = get_list(&p->fn)) != CKR_OK || p->fn == NULL)
		return hsm_fail_set(f, HSM_ERR_MODULE, "C_GetFunctionList of %s failed: %s "
		    "(0x%lx)", module, p11_rv_name(rv), (unsigned long)rv);
	if (p->fn->version.major != 2)
		return hsm_fail_set(f, HSM_ERR_MODULE, "%s speaks PKCS#11 %u.%u; 2.x is required",
		    module, p->fn->version.major, p->fn->version.minor);
	return 0;
}

int
p11_load(struct p11 *p, const char *module, struct hsm_fail *f)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	memset(p, 0, sizeof(*p));
	p->module = module;
	if (p11_dlopen(p, module, f) != 0)
		return -1;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->fn->C_Initialize(&args);
	/*
	 * ALREADY_INITIALIZED would mean someone else in this process owns the
	 * module's lifetime, and would C_Finalize under our session: refuse.
	 */
	if (rv != CKR_OK)
		return hsm_fail_set(f, HSM_ERR_MODULE, "C_Initialize of %s failed: %s (0x%lx)",
		    module, p11_rv_name(rv), (unsigned long)rv);
	p->initialized = 1;
	return 0;
}

void
p11_close_session(struct p11 *p)
{
	if (p->fn == NULL || !p->have_session)
		return;
	if (p->logged_in)
		(void)p->fn->C_Logout(p->session);
	(void)p->fn->C_CloseSession(p->session);
	p->logged_in = 0;
	p->have_session = 0;
	p->nkek = 0;
	p->naudit = 0;
}

/*
 * The module stays mapped: libp11 holds its own dlopen reference and
 * function list, and unmapping a library with live static state is a
 * classic source of crashes in exit handlers.
 */
void
p11_finalize(struct p11 *p)
{
	p11_close_session(p);
	if (p->initialized)
		(void)p->fn->C_Finalize(NULL);
	p->initialized = 0;
}

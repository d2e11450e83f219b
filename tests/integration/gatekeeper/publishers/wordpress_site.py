"""A real WordPress (Debian's package) on loopback for the publisher's tests: PHP's built-in server,
a database of its own in the local MariaDB, installed and given an application password from PHP."""
from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

WORDPRESS = Path("/usr/share/wordpress")
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root"}
ADMIN = "gatekeeper-admin"

_CONFIG = """<?php
define('DB_NAME', '{db}');
define('DB_USER', '{user}');
define('DB_PASSWORD', '');
define('DB_HOST', '{host}:{port}');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WP_CONTENT_DIR', '{content}');
// Application passwords are offered over plain http only on a site of this type.
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_AUTO_UPDATE_CORE', false);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
{salts}
$table_prefix = 'wp_';
require_once ABSPATH . 'wp-settings.php';
"""

# Debian's wp-config.php picks a file in /etc by host name; a prepended file points ABSPATH at a
# folder of our own instead, which links every WordPress file but holds its own wp-config.php.
_PREPEND = "<?php if (!defined('ABSPATH')) define('ABSPATH', '{root}/');\n"

_SETUP = """<?php
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '127.0.0.1';
require_once ABSPATH . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install('Gatekeeper test site', '{admin}', 'admin@example.invalid', false, '', '{password}');
update_option('permalink_structure', '/%postname%/');
$made = WP_Application_Passwords::create_new_application_password($result['user_id'], array('name' => 'gatekeeper'));
if (is_wp_error($made)) {{ fwrite(STDERR, $made->get_error_message()); exit(1); }}
echo $made[0];
"""


@dataclass
class Site:
    url: str
    admin: str
    app_password: str
    uploads: Path
    database: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mysql(sql: str) -> None:
    subprocess.run(["mysql", "-h", MARIADB["host"], "-P", str(MARIADB["port"]), "-u", MARIADB["user"], "-e", sql],
                   check=True, capture_output=True, timeout=60)


def _salts() -> str:
    keys = ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
            "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"]
    return "\n".join(f"define('{key}', '{secrets.token_hex(32)}');" for key in keys)


def start_site(work: Path):
    """Yield a Site installed in a fresh database, served on a free loopback port; cleans up after."""
    root, content = work / "wordpress", work / "wp-content"
    root.mkdir()
    for entry in WORDPRESS.iterdir():
        if entry.name not in ("wp-config.php", "wp-content"):
            (root / entry.name).symlink_to(entry)
    (content / "uploads").mkdir(parents=True)
    (root / "wp-content").symlink_to(content)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = f"gk_wp_{secrets.token_hex(6)}"
    (root / "wp-config.php").write_text(_CONFIG.format(
        db=database, url=url, content=content, salts=_salts(), **MARIADB))
    prepend = work / "prepend.php"
    prepend.write_text(_PREPEND.format(root=root))
    _mysql(f"CREATE DATABASE {database} CHARACTER SET utf8mb4")
    server = None
    try:
        admin_password = secrets.token_urlsafe(16)
        setup = work / "setup.php"
        setup.write_text(_SETUP.format(admin=ADMIN, password=admin_password))
        made = subprocess.run(["php", "-d", f"auto_prepend_file={prepend}", str(setup)],
                              capture_output=True, text=True, timeout=120, cwd=root)
        assert made.returncode == 0, made.stderr + made.stdout
        app_password = made.stdout.strip().splitlines()[-1]
        log = (work / "php-server.log").open("w")
        server = subprocess.Popen(
            ["php", "-d", f"auto_prepend_file={prepend}", "-d", "upload_max_filesize=64M",
             "-d", "post_max_size=64M", "-S", f"127.0.0.1:{port}", "-t", str(root)],
            stdout=log, stderr=subprocess.STDOUT, cwd=root)
        _wait_for(f"{url}/wp-json/", server)
        yield Site(url=url, admin=ADMIN, app_password=app_password, uploads=content / "uploads", database=database)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        _mysql(f"DROP DATABASE IF EXISTS {database}")
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"PHP's server stopped with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"WordPress did not answer at {url}")

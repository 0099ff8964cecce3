"""What the CommerceML exchange endpoint answers 1C in its `failure` and `progress` lines: 1C writes them into
its exchange log, where the accountant reads them. Russian first, English for every other portal language."""

from __future__ import annotations

from b24app.web.i18n import text_from

TEXTS: dict[str, dict[str, str]] = {
    "bad_login": {"ru": "Неверное имя пользователя или пароль обмена. Скопируйте их заново из настроек приложения "
                        "в Битрикс24.",
                  "en": "Wrong exchange user name or password. Copy them again from the app's settings in "
                        "Bitrix24."},
    "locked": {"ru": "Слишком много неудачных попыток входа. Повторите обмен через {minutes} мин.",
               "en": "Too many failed logins. Run the exchange again in {minutes} min."},
    "disabled": {"ru": "Обмен с этой базой выключен в настройках приложения в Битрикс24.",
                 "en": "The exchange with this base is switched off in the app's settings in Bitrix24."},
    "uninstalled": {"ru": "Приложение не установлено на портале Битрикс24: обмен невозможен.",
                    "en": "The app is not installed on the Bitrix24 portal: no exchange is possible."},
    "no_session": {"ru": "Сеанс обмена не найден или истёк: начните обмен заново.",
                   "en": "The exchange session is unknown or has expired: start the exchange again."},
    "no_init": {"ru": "Обмен не начат: 1С должна сначала вызвать init.",
                "en": "The exchange was not started: 1C must call init first."},
    "wrong_type": {"ru": "Сеанс начат для другого вида обмена: начните обмен заново.",
                   "en": "The session was started for another kind of exchange: start the exchange again."},
    "unknown_mode": {"ru": "Неизвестная команда обмена: {mode}.", "en": "Unknown exchange command: {mode}."},
    "unknown_type": {"ru": "Неизвестный вид обмена: {type}.", "en": "Unknown exchange type: {type}."},
    "refused_file": {"ru": "Файл не принят: {why}.", "en": "File refused: {why}."},
    "no_filename": {"ru": "Не указано имя файла (filename).", "en": "No file name (filename) given."},
    "missing_file": {"ru": "Файл {name} не был загружен в этом обмене.",
                     "en": "File {name} was not uploaded in this exchange."},
    "unpacked": {"ru": "Архив распакован: файлов {count}.", "en": "Archive unpacked: {count} files."},
    "queued": {"ru": "Загрузка поставлена в очередь.", "en": "The import is queued."},
    "running": {"ru": "Идёт загрузка: обработано {done} из {total}.", "en": "Importing: {done} of {total} done."},
    "running_plain": {"ru": "Идёт загрузка.", "en": "Importing."},
    "imported": {"ru": "Загрузка завершена.", "en": "The import is complete."},
    "job_failed": {"ru": "Загрузка не удалась: {why}", "en": "The import failed: {why}"},
    "job_lost": {"ru": "Задание загрузки потеряно: повторите обмен.", "en": "The import job was lost: run the exchange "
                                                                          "again."},
    "orders_unavailable": {"ru": "Обмен заказами пока недоступен в этом приложении.",
                           "en": "Order exchange is not available in this app yet."},
    "orders_failed": {"ru": "Не удалось подготовить заказы: {why}", "en": "Orders could not be prepared: {why}"},
    "orders_confirmed": {"ru": "Получение заказов подтверждено: {count}.", "en": "Orders receipt confirmed: {count}."},
    "complete": {"ru": "Обмен завершён.", "en": "The exchange is complete."},
    "deactivate": {"ru": "Товары не деактивируются: полная выгрузка каталога это учитывает сама.",
                   "en": "Nothing is deactivated: a full catalog upload takes care of that itself."},
}


def et(key: str, lang: str, **params: object) -> str:
    return text_from(TEXTS, key, lang, **params)

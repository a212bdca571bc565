"""The one-file HTML report of a run (`unpack-race report`): the data it shows
(`page_data`), how a world is shown in it (`world_view`), and the page's own CSS and
JavaScript (`report.css`, `report.js`), inlined by reports/html_report.py."""

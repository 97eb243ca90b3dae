from django.urls import path

from xietong.collabs.views import (
    assign,
    board,
    bulk,
    departments,
    goal,
    history,
    home,
    mine,
    nominations,
    subgoals,
    table,
)

app_name = "collabs"
urlpatterns = [
    path("", home.home, name="home"),
    path("new/", home.new, name="new"),
    path("smart/", goal.smart, name="smart"),
    path("nominations/<int:pk>/", nominations.nomination, name="nomination"),
    path("c/<str:slug>/", home.workspace, name="workspace"),
    path("c/<str:slug>/goal/", goal.goal, name="goal"),
    path("c/<str:slug>/history/", history.history, name="history"),
    path("c/<str:slug>/history.csv", history.history_csv, name="history_csv"),
    path("c/<str:slug>/departments/", departments.departments, name="departments"),
    path("c/<str:slug>/departments/<int:pk>/delete/", departments.remove, name="department_remove"),
    path("c/<str:slug>/table/", table.table, name="table"),
    path("c/<str:slug>/table/new/", table.new_row, name="task_new"),
    path("c/<str:slug>/table/<int:pk>/", table.row, name="task"),
    path("c/<str:slug>/table/<int:pk>/edit/", table.edit_row, name="task_edit"),
    path("c/<str:slug>/table/<int:pk>/delete/", table.delete_row, name="task_delete"),
    path("c/<str:slug>/table/<int:pk>/move/", table.move_row, name="task_move"),
    path("c/<str:slug>/table/<int:pk>/assign/", assign.assign, name="task_assign"),
    path("c/<str:slug>/table/<int:pk>/watch/", assign.watch, name="task_watch"),
    path("my/tasks/", mine.my_tasks, name="my_tasks"),
    path("c/<str:slug>/subgoals/", subgoals.subgoals, name="subgoals"),
    path("c/<str:slug>/subgoals/<int:pk>/delete/", subgoals.remove, name="subgoal_remove"),
]

# The table's board, bulk edit, paste from Excel and saved views (docs/board-and-bulk.md).
urlpatterns += [
    path("c/<str:slug>/board/", board.board, name="board"),
    path("c/<str:slug>/board/<int:pk>/move/", board.move_card, name="board_move"),
    path("c/<str:slug>/table/bulk/", bulk.bulk_edit, name="table_bulk"),
    path("c/<str:slug>/table/paste/", bulk.paste_rows, name="task_paste"),
    path("c/<str:slug>/table/views/", bulk.save_view, name="table_view_save"),
    path("c/<str:slug>/table/views/<int:pk>/delete/", bulk.delete_view, name="table_view_delete"),
]

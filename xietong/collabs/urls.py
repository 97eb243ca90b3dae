from django.urls import path

from xietong.collabs.views import departments, goal, history, home, nominations, subgoals, table

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
    path("c/<str:slug>/subgoals/", subgoals.subgoals, name="subgoals"),
    path("c/<str:slug>/subgoals/<int:pk>/delete/", subgoals.remove, name="subgoal_remove"),
]
